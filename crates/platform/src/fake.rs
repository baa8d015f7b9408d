//! A platform that runs nothing, for unit tests of the layers above.

use super::*;

/// A platform whose address spaces record nothing and whose contexts never run.
pub struct FakePlatform;

struct FakeAddressSpace;

impl AddressSpace for FakeAddressSpace {
    fn map_file(&self, _addr: u64, _file: FileRange, _access: Access) -> Result<()> {
        Err(Error::NotBound)
    }
    fn unmap(&self, _addr: u64, _len: u64) {}
    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct FakeContext;
struct FakeInterrupter;

impl Interrupter for FakeInterrupter {
    fn interrupt(&self) {}
}

impl Context for FakeContext {
    fn switch(&mut self, _aspace: &Arc<dyn AddressSpace>, _regs: &mut ArchRegs) -> Result<Exit> {
        Err(Error::Other(
            "the fake platform runs no application code".into(),
        ))
    }
    fn interrupter(&self) -> Arc<dyn Interrupter> {
        Arc::new(FakeInterrupter)
    }
    fn fpregs(&mut self) -> Result<FpRegs> {
        Ok(FpRegs::default())
    }
    fn set_fpregs(&mut self, _fp: &FpRegs) -> Result<()> {
        Ok(())
    }
}

impl Platform for FakePlatform {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn max_user_address(&self) -> u64 {
        0x7f00_0000_0000
    }
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        Ok(Arc::new(FakeAddressSpace))
    }
    fn new_context(&self) -> Result<Box<dyn Context>> {
        Ok(Box::new(FakeContext))
    }
}
