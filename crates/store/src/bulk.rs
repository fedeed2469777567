//! Table, element-segment and data-segment instructions, run against the store.
//!
//! Every engine runs these the same way, so they live here rather than in each
//! engine: the operands are the instruction's immediates (indices into the
//! calling instance's index spaces) and its `u32` operands, and a trap is the
//! spec's trap code.

use wazero_api::TrapCode;

use crate::{InstanceId, MemoryAddr, Store, TableAddr};

/// Bulk memory operations work in chunks of this many bytes, with an
/// interrupt check between them: a `memory.copy` of gigabytes must not
/// outlast a deadline by seconds.
pub const BULK_CHUNK: usize = 16 << 20;

/// The pieces `(at, len)` (offsets within the `len` bytes moved) in which a
/// bulk operation of `len` bytes from `src` to `dst` works: [`BULK_CHUNK`]
/// bytes at a time, in the order that never overwrites bytes still to be
/// read (forward when `dst <= src`, backward otherwise). Every engine works
/// through these, checking for an interrupt between pieces.
pub fn bulk_chunks(dst: u64, src: u64, len: u64) -> impl Iterator<Item = (u64, u64)> {
    let chunk = BULK_CHUNK as u64;
    (0..len.div_ceil(chunk)).map(move |i| {
        let done = i * chunk;
        let n = (len - done).min(chunk);
        let at = if dst <= src { done } else { len - done - n };
        (at, n)
    })
}

/// `start..start + len` if it lies within `0..size`.
fn range(
    start: impl Into<u64>,
    len: impl Into<u64>,
    size: usize,
) -> Option<std::ops::Range<usize>> {
    let (start, len) = (start.into(), len.into());
    let end = start.checked_add(len)?;
    // `end <= size`, so both fit in `usize`.
    (end <= size as u64).then_some(start as usize..end as usize)
}

impl Store {
    /// The store address of table `table` of instance `inst`.
    fn table_at(&self, inst: InstanceId, table: u32) -> TableAddr {
        self.instances[inst.index()].tables[table as usize]
    }

    /// `table.get`.
    pub fn table_get(&self, inst: InstanceId, table: u32, index: u32) -> Result<u64, TrapCode> {
        let t = self.table_at(inst, table);
        self.tables[t.index()]
            .elements
            .get(index as usize)
            .copied()
            .ok_or(TrapCode::TableOutOfBounds)
    }

    /// `table.set`.
    pub fn table_set(
        &mut self,
        inst: InstanceId,
        table: u32,
        index: u32,
        value: u64,
    ) -> Result<(), TrapCode> {
        let t = self.table_at(inst, table);
        let slot = self.tables[t.index()]
            .elements
            .get_mut(index as usize)
            .ok_or(TrapCode::TableOutOfBounds)?;
        *slot = value;
        Ok(())
    }

    /// `table.size`.
    pub fn table_size(&self, inst: InstanceId, table: u32) -> u32 {
        let t = self.table_at(inst, table);
        self.tables[t.index()].elements.len() as u32
    }

    /// `table.grow`: the previous size, or `u32::MAX` (-1) when it cannot grow.
    pub fn table_grow(&mut self, inst: InstanceId, table: u32, delta: u32, init: u64) -> u32 {
        let t = self.table_at(inst, table);
        self.grow_table(t, delta, init).unwrap_or(u32::MAX)
    }

    /// `table.fill`.
    pub fn table_fill(
        &mut self,
        inst: InstanceId,
        table: u32,
        dst: u32,
        value: u64,
        len: u32,
    ) -> Result<(), TrapCode> {
        let t = self.table_at(inst, table);
        let elements = &mut self.tables[t.index()].elements;
        let r = range(dst, len, elements.len()).ok_or(TrapCode::TableOutOfBounds)?;
        elements[r].fill(value);
        Ok(())
    }

    /// `table.copy`: `len` elements from `src` in `src_table` to `dst` in
    /// `dst_table` (the ranges may overlap).
    pub fn table_copy(
        &mut self,
        inst: InstanceId,
        dst_table: u32,
        src_table: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let (td, ts) = (
            self.table_at(inst, dst_table),
            self.table_at(inst, src_table),
        );
        let d = range(dst, len, self.tables[td.index()].elements.len());
        let s = range(src, len, self.tables[ts.index()].elements.len());
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::TableOutOfBounds);
        };
        if td == ts {
            self.tables[td.index()].elements.copy_within(s, d.start);
        } else {
            let (lo, hi) = self.tables.split_at_mut(td.index().max(ts.index()));
            let (dst_t, src_t) = if td < ts {
                (&mut lo[td.index()], &hi[0])
            } else {
                (&mut hi[0], &lo[ts.index()])
            };
            dst_t.elements[d].copy_from_slice(&src_t.elements[s]);
        }
        Ok(())
    }

    /// `table.init`: `len` items of element segment `segment` from `src` into
    /// `table` at `dst`. A dropped segment is empty.
    pub fn table_init(
        &mut self,
        inst: InstanceId,
        segment: u32,
        table: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let t = self.table_at(inst, table);
        let items = self.instances[inst.index()].elements[segment as usize].as_deref();
        let items = items.unwrap_or(&[]);
        let elements = &mut self.tables[t.index()].elements;
        let d = range(dst, len, elements.len());
        let s = range(src, len, items.len());
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::TableOutOfBounds);
        };
        elements[d].copy_from_slice(&items[s]);
        Ok(())
    }

    /// `elem.drop`.
    pub fn elem_drop(&mut self, inst: InstanceId, segment: u32) {
        self.instances[inst.index()].elements[segment as usize] = None;
    }

    /// `data.drop`.
    pub fn data_drop(&mut self, inst: InstanceId, segment: u32) {
        self.instances[inst.index()].data_dropped[segment as usize] = true;
    }

    /// The store address of memory `memory` of instance `inst`.
    pub fn memory_at(&self, inst: InstanceId, memory: u32) -> MemoryAddr {
        self.instances[inst.index()].memories[memory as usize]
    }

    /// `memory.size` of memory `memory`, in pages.
    pub fn memory_size(&self, inst: InstanceId, memory: u32) -> u32 {
        self.memories[self.memory_at(inst, memory).index()].size_pages()
    }

    /// `memory.grow` of memory `memory`: the old size in pages, or `None`
    /// (which the guest sees as -1).
    pub fn memory_grow(&mut self, inst: InstanceId, memory: u32, delta: u64) -> Option<u32> {
        let addr = self.memory_at(inst, memory);
        self.memories[addr.index()].grow(u32::try_from(delta).ok()?)
    }

    /// `memory.init` on memory `memory`: `len` bytes of data segment
    /// `segment` from `src` into memory at `dst`. A dropped segment is empty.
    pub fn memory_init(
        &mut self,
        inst: InstanceId,
        memory: u32,
        segment: u32,
        dst: u64,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let instance = &self.instances[inst.index()];
        let module = instance.module.as_ref().expect("a wasm instance");
        let bytes = if instance.data_dropped[segment as usize] {
            &[][..]
        } else {
            module.data_bytes(&module.data[segment as usize])
        };
        let memory = instance.memories[memory as usize];
        let memory = self.memories[memory.index()].bytes_mut();
        let d = range(dst, len, memory.len());
        let s = range(src, len, bytes.len());
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::MemoryOutOfBounds);
        };
        memory[d].copy_from_slice(&bytes[s]);
        Ok(())
    }

    /// `memory.copy` from memory `src_memory` to memory `dst_memory` (the
    /// ranges may overlap when they are one memory).
    #[allow(clippy::too_many_arguments)]
    pub fn memory_copy(
        &mut self,
        inst: InstanceId,
        dst_memory: u32,
        src_memory: u32,
        dst: u64,
        src: u64,
        len: u64,
    ) -> Result<(), TrapCode> {
        let dst_addr = self.memory_at(inst, dst_memory).index();
        let src_addr = self.memory_at(inst, src_memory).index();
        let dst_len = self.memories[dst_addr].size_bytes();
        let src_len = self.memories[src_addr].size_bytes();
        let d = range(dst, len, dst_len);
        let s = range(src, len, src_len);
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::MemoryOutOfBounds);
        };
        let (d, s) = (d.start as u64, s.start as u64);
        for (i, (at, n)) in bulk_chunks(d, s, len).enumerate() {
            if i > 0 && self.interrupt.take() {
                return Err(TrapCode::Interrupted);
            }
            let (from, to, n) = ((s + at) as usize, (d + at) as usize, n as usize);
            if dst_addr == src_addr {
                self.memories[dst_addr]
                    .bytes_mut()
                    .copy_within(from..from + n, to);
            } else {
                let (low, high) = self.memories.split_at_mut(dst_addr.max(src_addr));
                let (dst_mem, src_mem) = if dst_addr < src_addr {
                    (&mut low[dst_addr], &high[0])
                } else {
                    (&mut high[0], &low[src_addr])
                };
                dst_mem.bytes_mut()[to..to + n].copy_from_slice(&src_mem.bytes()[from..from + n]);
            }
        }
        Ok(())
    }

    /// `memory.fill` on memory `memory`.
    pub fn memory_fill(
        &mut self,
        inst: InstanceId,
        memory: u32,
        dst: u64,
        value: u8,
        len: u64,
    ) -> Result<(), TrapCode> {
        let memory = self.memory_at(inst, memory);
        let memory = self.memories[memory.index()].bytes_mut();
        let d = range(dst, len, memory.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        for (i, (at, n)) in bulk_chunks(0, 0, len).enumerate() {
            if i > 0 && self.interrupt.take() {
                return Err(TrapCode::Interrupted);
            }
            let from = d.start + at as usize;
            memory[from..from + n as usize].fill(value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::{bulk_chunks, BULK_CHUNK};

    #[test]
    fn chunks_cover_the_range_once_in_a_safe_order() {
        type Case = (u64, u64, u64, Vec<(u64, u64)>);
        let c = BULK_CHUNK as u64;
        let cases: Vec<Case> = vec![
            (0, 0, 0, vec![]),
            (0, 10, 5, vec![(0, 5)]),
            (10, 0, 5, vec![(0, 5)]),
            (0, 1, 2 * c + 3, vec![(0, c), (c, c), (2 * c, 3)]),
            (1, 0, 2 * c + 3, vec![(c + 3, c), (3, c), (0, 3)]),
        ];
        for (dst, src, len, want) in cases {
            let got: Vec<_> = bulk_chunks(dst, src, len).collect();
            assert_eq!(got, want, "dst {dst} src {src} len {len}");
        }
    }
}
