//! Comparing secrets (API keys, key hashes, CSRF tokens) without telling an
//! attacker, through timing, how much of a guess was right.

/// Whether `a` and `b` are equal, in time that depends only on their
/// lengths, not on where they first differ: every byte pair is visited and
/// the differences are OR-ed together, with no early return.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn equal_only_when_every_byte_is() {
        assert!(same(b"", b""));
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secre"));
        assert!(!same(b"Secret", b"secret"));
    }
}
