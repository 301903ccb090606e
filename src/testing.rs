//! What the unit tests share.

/// A xorshift generator (13, 7, 17): the same numbers from the same seed on every machine,
/// for tests that sweep many generated inputs.
pub(crate) struct Rng(pub u64);

impl Rng {
    /// The next number (the state after one step).
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The next number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
