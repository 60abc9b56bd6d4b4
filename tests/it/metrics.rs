//! The Prometheus endpoint, scraped with curl during real sessions and
//! checked by Debian's promtool.

use crate::support::*;
use std::process::{Command, Stdio};

/// The metrics URL a server logged at start.
fn metrics_url(srv: &TestServer) -> String {
    let line = srv.wait_log("metrics on http://");
    line.split("metrics on ").nth(1).unwrap().trim().to_string()
}

fn scrape(url: &str) -> String {
    run(Command::new("curl").args(["-sS", "--max-time", "10", url]))
}

/// The value of one series (`name{labels}` exactly as written), 0 if absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.0)
}

fn promtool_accepts(text: &str) {
    if !have("promtool") {
        eprintln!("SKIPPED: promtool check (install prometheus)");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ftp_metrics_move_with_real_sessions_and_pass_promtool() {
    if !have("curl") {
        return;
    }
    let srv = TestServer::start(&[("metrics_listen_address", "127.0.0.1:0")]);
    let url = metrics_url(&srv);
    let before = scrape(&url);
    assert_eq!(value(&before, "rftpd_logins_total{kind=\"virtual\",result=\"ok\"}"), 0.0);
    let base = format!("ftp://127.0.0.1:{}", srv.addr.port());
    let body = pattern(100_000, 3);
    let upload = TempDir::new("mup");
    std::fs::write(upload.0.join("up.bin"), &body).unwrap();
    run(Command::new("curl")
        .args(["-sS", "-u", "alice:secret", "-T"])
        .arg(upload.0.join("up.bin"))
        .arg(format!("{base}/")));
    run(Command::new("curl")
        .args(["-sS", "-u", "alice:secret", "-o"])
        .arg(upload.0.join("down.bin"))
        .arg(format!("{base}/up.bin")));
    run(Command::new("curl").args(["-sS", "-l"]).arg(format!("{base}/")));
    // A second download and an aborted one, so that each series has its own count.
    run(Command::new("curl").args(["-sS", "-u", "alice:secret", "-o", "/dev/null"]).arg(format!("{base}/up.bin")));
    srv.big_file();
    let mut aborted = srv.alice();
    let _data = aborted.start_big_retr();
    aborted.abor_running();
    assert_eq!(aborted.cmd("QUIT").code, 221);
    srv.wait_log("RETR /huge.bin");
    // The four curl sessions and this one have ended (and left sessions_active).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while srv.log_count(" closed: ") < 5 {
        assert!(std::time::Instant::now() < deadline, "sessions still open");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut bad = srv.connect();
    assert_eq!(bad.cmd("USER alice").code, 331);
    assert_eq!(bad.cmd("PASS wrong").code, 530);
    let live = srv.alice();
    srv.wait_log("user=alice STOR");
    let after = scrape(&url);
    promtool_accepts(&after);
    for (series, want) in [
        ("rftpd_logins_total{kind=\"virtual\",result=\"ok\"}", 5.0),
        ("rftpd_logins_total{kind=\"virtual\",result=\"failed\"}", 1.0),
        ("rftpd_logins_total{kind=\"anonymous\",result=\"ok\"}", 1.0),
        ("rftpd_transfers_total{direction=\"upload\",result=\"ok\"}", 1.0),
        ("rftpd_transfers_total{direction=\"download\",result=\"ok\"}", 2.0),
        ("rftpd_transfers_total{direction=\"download\",result=\"aborted\"}", 1.0),
        ("rftpd_transfers_total{direction=\"download\",result=\"failed\"}", 0.0),
        ("rftpd_received_bytes_total", 100_000.0),
        ("rftpd_listings_total{result=\"ok\"}", 1.0),
        ("rftpd_transfer_duration_seconds_count", 4.0),
        ("rftpd_sessions_active", 2.0),
        ("rftpd_workers_busy", 2.0),
    ] {
        assert_eq!(value(&after, series), want, "{series}\n{after}");
    }
    assert!(value(&after, "rftpd_sent_bytes_total") >= 100_000.0);
    assert!(value(&after, "rftpd_data_connections_total{mode=\"passive\",result=\"ok\"}") >= 5.0);
    assert!(value(&after, "rftpd_sessions_total{end=\"quit\"}") >= 3.0, "{after}");
    assert_eq!(value(&after, "rftpd_build_info{version=\"0.1.0\"}"), 1.0);
    drop(live);
    let status = run(Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(url.replace("/metrics", "/other")));
    assert_eq!(status, "404");
}

#[test]
fn tftp_metrics_count_transfers_and_pass_promtool() {
    if !have("curl") {
        return;
    }
    let srv = Spec { tftp: true, extra: &[("metrics_listen_address", "127.0.0.1:0")], ..Spec::default() }.start();
    let url = metrics_url(&srv);
    std::fs::write(srv.path("tftp/boot.img"), pattern(5000, 1)).unwrap();
    let out = TempDir::new("tftpm");
    run(Command::new("curl")
        .args(["-sS", "--tftp-blksize", "1024", "-o"])
        .arg(out.0.join("b"))
        .arg(format!("tftp://127.0.0.1:{}/boot.img", srv.addr.port())));
    srv.wait_log("RRQ boot.img");
    let text = scrape(&url);
    promtool_accepts(&text);
    assert_eq!(value(&text, "rtftpd_transfers_total{direction=\"read\",result=\"ok\"}"), 1.0, "{text}");
    assert_eq!(value(&text, "rtftpd_sent_bytes_total"), 5000.0);
    assert_eq!(value(&text, "rtftpd_options_negotiated_total{option=\"blksize\"}"), 1.0);
}
