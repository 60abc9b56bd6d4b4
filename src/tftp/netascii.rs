//! netascii (RFC 764 via RFC 1350): the encoder, LF → CR LF and CR → CR NUL,
//! streaming across block boundaries. Pure. The decoder is
//! [`crate::ascii::FromNetwork::netascii`], shared with FTP's TYPE A.

use std::io::{self, Read};

/// Reads a file and yields its netascii form.
pub(crate) struct Encoder<R> {
    inner: R,
    raw: Vec<u8>,
    pending: Vec<u8>,
    pos: usize,
}

impl<R: Read> Encoder<R> {
    pub(crate) fn new(inner: R) -> Self {
        Encoder { inner, raw: vec![0; 16 * 1024], pending: Vec::new(), pos: 0 }
    }
}

/// Appends the netascii form of `input` to `out`.
pub(crate) fn encode(input: &[u8], out: &mut Vec<u8>) {
    for &b in input {
        match b {
            b'\n' => out.extend_from_slice(b"\r\n"),
            b'\r' => out.extend_from_slice(b"\r\0"),
            _ => out.push(b),
        }
    }
}

impl<R: Read> Read for Encoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            let n = self.inner.read(&mut self.raw)?;
            if n == 0 {
                return Ok(0);
            }
            self.pending.clear();
            self.pos = 0;
            encode(&self.raw[..n], &mut self.pending);
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1350_netascii_round_trip_across_blocks() {
        let text = b"line one\nbare\rcr\n\nend";
        let mut wire = Vec::new();
        Encoder::new(&text[..]).read_to_end(&mut wire).unwrap();
        assert_eq!(wire, b"line one\r\nbare\r\0cr\r\n\r\nend");
        let mut d = crate::ascii::FromNetwork::netascii();
        let mut out = Vec::new();
        for chunk in wire.chunks(3) {
            d.convert(chunk, &mut out);
        }
        d.finish(&mut out);
        assert_eq!(out, text);
    }
}
