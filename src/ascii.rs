//! Line-end conversion shared by FTP's TYPE A (RFC 959 §3.1.1.1) and TFTP's
//! netascii (RFC 1350): LF → CRLF on the way out, CRLF → LF on the way in.
//! Pure and streaming: a CR at the end of one chunk is held until the next
//! shows what follows it.

/// Appends `input` to `out` with every LF written as CRLF.
pub(crate) fn to_network(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() + input.len() / 16);
    let mut rest = input;
    while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
        out.extend_from_slice(&rest[..pos]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[pos + 1..];
    }
    out.extend_from_slice(rest);
}

/// How many bytes [`to_network`] makes of `input`.
pub(crate) fn network_len(input: &[u8]) -> u64 {
    input.len() as u64 + input.iter().filter(|&&b| b == b'\n').count() as u64
}

/// CRLF → LF across chunk boundaries; a CR not followed by LF is kept.
/// TFTP's netascii also turns CR NUL into CR ([`FromNetwork::netascii`]).
#[derive(Debug, Default)]
pub(crate) struct FromNetwork {
    pending_cr: bool,
    cr_nul_is_cr: bool,
}

impl FromNetwork {
    /// The netascii decoder of RFC 1350 (Telnet NVT): CR LF → LF, CR NUL → CR.
    pub(crate) fn netascii() -> Self {
        FromNetwork { pending_cr: false, cr_nul_is_cr: true }
    }

    pub(crate) fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        for &b in input {
            if self.pending_cr {
                self.pending_cr = false;
                if b == 0 && self.cr_nul_is_cr {
                    out.push(b'\r');
                    continue;
                }
                if b != b'\n' {
                    out.push(b'\r');
                }
            }
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(b);
            }
        }
    }

    /// Call at end of data: a trailing lone CR is data.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc959_ascii_out_uses_crlf() {
        let mut out = Vec::new();
        to_network(b"a\nb\n\nc", &mut out);
        assert_eq!(out, b"a\r\nb\r\n\r\nc");
        assert_eq!(network_len(b"a\nb\n\nc"), out.len() as u64);
    }

    #[test]
    fn rfc959_ascii_in_strips_cr_across_chunks() {
        let mut conv = FromNetwork::default();
        let mut out = Vec::new();
        conv.convert(b"line1\r", &mut out);
        conv.convert(b"\nline2\r\nbare\rcr\r", &mut out);
        conv.finish(&mut out);
        assert_eq!(out, b"line1\nline2\nbare\rcr\r");
    }
}
