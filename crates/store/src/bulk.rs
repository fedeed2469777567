//! Table, element-segment and data-segment instructions, run against the store.
//!
//! Every engine runs these the same way, so they live here rather than in each
//! engine: the operands are the instruction's immediates (indices into the
//! calling instance's index spaces) and its `u32` operands, and a trap is the
//! spec's trap code.

use wazero_api::TrapCode;

use crate::{InstanceId, Store, TableAddr};

/// `start..start + len` if it lies within `0..size`.
fn range(start: u32, len: u32, size: usize) -> Option<std::ops::Range<usize>> {
    let (start, len) = (start as usize, len as usize);
    let end = start.checked_add(len)?;
    (end <= size).then_some(start..end)
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

    /// `memory.init` on memory 0: `len` bytes of data segment `segment` from
    /// `src` into memory at `dst`. A dropped segment is empty.
    pub fn memory_init(
        &mut self,
        inst: InstanceId,
        segment: u32,
        dst: u32,
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
        let memory = instance.memories[0];
        let memory = self.memories[memory.index()].bytes_mut();
        let d = range(dst, len, memory.len());
        let s = range(src, len, bytes.len());
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::MemoryOutOfBounds);
        };
        memory[d].copy_from_slice(&bytes[s]);
        Ok(())
    }

    /// `memory.copy` on memory 0 (the ranges may overlap).
    pub fn memory_copy(
        &mut self,
        inst: InstanceId,
        dst: u32,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let memory = self.instances[inst.index()].memories[0];
        let memory = self.memories[memory.index()].bytes_mut();
        let d = range(dst, len, memory.len());
        let s = range(src, len, memory.len());
        let (Some(d), Some(s)) = (d, s) else {
            return Err(TrapCode::MemoryOutOfBounds);
        };
        memory.copy_within(s, d.start);
        Ok(())
    }

    /// `memory.fill` on memory 0.
    pub fn memory_fill(
        &mut self,
        inst: InstanceId,
        dst: u32,
        value: u8,
        len: u32,
    ) -> Result<(), TrapCode> {
        let memory = self.instances[inst.index()].memories[0];
        let memory = self.memories[memory.index()].bytes_mut();
        let d = range(dst, len, memory.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        memory[d].fill(value);
        Ok(())
    }
}
