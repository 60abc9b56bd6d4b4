//! The defences an attack run found missing (SECURITY.md describes each):
//! one test per property, against the real binaries.

use crate::support::*;

/// An IAC sequence must not consume a line end: `DE IAC WILL LF LE x`
/// is two bad commands, not `DELE x` (a line-based proxy sees two lines).
#[test]
fn telnet_iac_never_swallows_a_line_end() {
    let srv = TestServer::start(&[]);
    std::fs::write(srv.path("home/alice/smuggle_me.txt"), "keep").unwrap();
    let mut c = srv.alice();
    c.send_bytes(b"DE\xff\xfb\nLE smuggle_me.txt\r\n");
    assert_eq!(c.reply().code, 500);
    assert_eq!(c.reply().code, 500);
    assert_eq!(c.cmd("NOOP").code, 200);
    assert!(srv.path("home/alice/smuggle_me.txt").exists());
}
