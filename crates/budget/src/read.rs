//! Reading an inflating stream (a zip entry of an OFD or DOCX package) under a budget.

use crate::{Budget, Exceeded};
use std::io::{self, Read};

/// A reader that charges every byte it yields to a [`Budget`]: one part may yield at most the
/// budget's [`Budget::stream_allowance`] at the time it was opened, and every read also checks
/// the deadline and the caller. Over a limit, the read fails with an [`io::Error`] that carries
/// the [`Exceeded`]; [`BoundedRead::exceeded`] finds it again.
pub struct BoundedRead<'b, R> {
    inner: R,
    budget: &'b Budget,
    allowance: u64,
    read: u64,
}

impl<'b, R: Read> BoundedRead<'b, R> {
    /// Wraps `inner`, one part of a document.
    pub fn new(inner: R, budget: &'b Budget) -> Self {
        BoundedRead {
            inner,
            budget,
            allowance: budget.stream_allowance().0,
            read: 0,
        }
    }

    /// The budget error inside an error this reader (or a parser reading from it) returned.
    pub fn exceeded(e: &io::Error) -> Option<Exceeded> {
        e.get_ref()?.downcast_ref::<Exceeded>().cloned()
    }
}

impl<R: Read> Read for BoundedRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Never ask for more than one byte past the allowance: a bomb stops there.
        let room = (self.allowance - self.read.min(self.allowance)).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        if self.read > self.allowance {
            return Err(io::Error::other(self.budget.stream_over()));
        }
        self.budget
            .charge_bytes(n as u64)
            .map_err(io::Error::other)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Budgeted, Limits};

    #[test]
    fn a_part_over_its_allowance_fails_naming_the_limit_and_stops_reading() {
        let b = Budget::new(Limits {
            stream_bytes: 10,
            document_bytes: 15,
            ..Limits::default()
        });
        let mut out = Vec::new();
        let e = BoundedRead::new(&[0u8; 1000][..], &b)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(
            BoundedRead::<&[u8]>::exceeded(&e),
            Some(Exceeded::Limit {
                budget: Budgeted::StreamBytes,
                limit: 10
            })
        );
        assert!(out.len() <= 11, "read {} bytes", out.len());
        // The document's limit applies across parts: 10 charged, 5 left.
        let b = Budget::new(Limits {
            stream_bytes: 10,
            document_bytes: 15,
            ..Limits::default()
        });
        BoundedRead::new(&[0u8; 10][..], &b)
            .read_to_end(&mut Vec::new())
            .unwrap();
        let e = BoundedRead::new(&[0u8; 10][..], &b)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(matches!(
            BoundedRead::<&[u8]>::exceeded(&e),
            Some(Exceeded::Limit {
                budget: Budgeted::DocumentBytes,
                ..
            })
        ));
    }
}
