//! The FTP servers rftpd is measured against, each started on the bench's
//! tree as its Debian package ships it plus what the figures need
//! (anonymous read and upload into `up/`, a passive range of its own,
//! sendfile on where it has it, no per-address limits, no transfer log).
//! vsftpd comes from its installed package; ProFTPD and Pure-FTPd conflict
//! with it as packages, so `make bench-peers` unpacks theirs (`dpkg -x`)
//! under `target/bench-peers` and installs only their libraries.

use crate::client::Ftp;
use crate::common::Server;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How a peer is started: the tree it serves, and a PEM file for FTPS.
pub type Start = fn(&Path, Option<&Path>) -> Option<Server>;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until the server greets, so no figure times its start-up.
pub fn wait_ready(server: Server) -> Server {
    for _ in 0..250 {
        if let Ok(ftp) = Ftp::connect(server.addr) {
            let _ = ftp.quit();
            return server;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} did not start on {}", server.name, server.addr);
}

/// Where `make bench-peers` unpacked ProFTPD and Pure-FTPd.
fn unpacked(program: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("RFTPD_BENCH_PEERS").map(PathBuf::from).unwrap_or_else(|| "target/bench-peers".into());
    let path = dir.join("usr/sbin").join(program);
    path.exists().then(|| std::fs::canonicalize(path).unwrap())
}

fn spawn(name: &'static str, port: u16, cmd: &mut Command) -> Option<Server> {
    match cmd.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn() {
        Ok(child) => Some(wait_ready(Server { name, addr: ([127, 0, 0, 1], port).into(), child })),
        Err(e) => {
            eprintln!("{name} left out: {e}");
            None
        }
    }
}

/// The home directory of the `ftp` account: Pure-FTPd serves anonymous
/// sessions from there and nowhere else.
fn ftp_home() -> Option<String> {
    let out = Command::new("getent").args(["passwd", "ftp"]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().split(':').nth(5).map(str::to_string)
}

pub fn vsftpd(root: &Path, tls: Option<&Path>) -> Option<Server> {
    let port = free_port();
    let conf = root.with_extension(format!("vsftpd-{port}.conf"));
    std::fs::create_dir_all("/var/run/vsftpd/empty").unwrap();
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
             anonymous_enable=YES\nlocal_enable=NO\nanon_root={}\n\
             write_enable=YES\nanon_upload_enable=YES\nanon_other_write_enable=YES\nanon_umask=022\n\
             anon_world_readable_only=NO\npasv_enable=YES\npasv_min_port=20000\npasv_max_port=25999\n\
             use_sendfile=YES\nmax_clients=0\nmax_per_ip=0\nxferlog_enable=NO\ndirmessage_enable=NO\n\
             idle_session_timeout=600\nsecure_chroot_dir=/var/run/vsftpd/empty\n{}",
            root.display(),
            tls.map(|pem| format!(
                "ssl_enable=YES\nallow_anon_ssl=YES\nrsa_cert_file={}\n\
                 force_anon_data_ssl=NO\nrequire_ssl_reuse=NO\n",
                pem.display()
            ))
            .unwrap_or_default()
        ),
    )
    .unwrap();
    spawn("vsftpd", port, Command::new("vsftpd").arg(&conf))
}

pub fn proftpd(root: &Path, tls: Option<&Path>) -> Option<Server> {
    let Some(bin) = unpacked("proftpd") else {
        eprintln!("ProFTPD left out: run `make bench-peers` first");
        return None;
    };
    let port = free_port();
    let conf = root.with_extension(format!("proftpd-{port}.conf"));
    // ProFTPD refuses a scoreboard in a world-writable directory such as /tmp.
    let state = root.with_extension(format!("proftpd-{port}.d"));
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        &conf,
        format!(
            "ServerType standalone\nDefaultServer on\nPort {port}\nDefaultAddress 127.0.0.1\nSocketBindTight on\n\
             UseIPv6 off\nUser nobody\nGroup nogroup\nMaxInstances 20000\nPassivePorts 32000 37999\n\
             UseSendfile on\nWtmpLog off\nScoreboardFile {s}/scoreboard\nPidFile {s}/pid\nDelayTable none\n\
             UseReverseDNS off\nTransferLog none\nSystemLog {s}/log\nTimeoutIdle 600\n\
             <Anonymous {root}>\n  User ftp\n  Group ftp\n  UserAlias anonymous ftp\n  RequireValidShell off\n\
             <Directory up>\n    <Limit WRITE>\n      AllowAll\n    </Limit>\n  </Directory>\n</Anonymous>\n{tls}",
            s = state.display(),
            root = root.display(),
            tls = tls
                .map(|pem| format!(
                    "ModulePath {}\nLoadModule mod_tls.c\nTLSEngine on\nTLSProtocol TLSv1.2 TLSv1.3\n\
                     TLSRSACertificateFile {pem}\nTLSRSACertificateKeyFile {pem}\nTLSVerifyClient off\n\
                     TLSRequired off\nTLSOptions NoSessionReuseRequired\nTLSLog {}/tls.log\n",
                    bin.parent().unwrap().parent().unwrap().join("lib/proftpd").display(),
                    state.display(),
                    pem = pem.display()
                ))
                .unwrap_or_default()
        ),
    )
    .unwrap();
    spawn("proftpd", port, Command::new(bin).args(["-n", "-q", "-c"]).arg(&conf))
}

/// Pure-FTPd in a mount namespace of its own where the tree is bind-mounted
/// over the `ftp` account's home, since that is its anonymous root.
pub fn pure_ftpd(root: &Path, tls: Option<&Path>) -> Option<Server> {
    let Some(bin) = unpacked("pure-ftpd") else {
        eprintln!("Pure-FTPd left out: run `make bench-peers` first");
        return None;
    };
    let Some(home) = ftp_home() else {
        eprintln!("Pure-FTPd left out: no `ftp` account (installing vsftpd creates it)");
        return None;
    };
    let port = free_port();
    let script = format!(
        "mkdir -p '{home}' && mount --bind '{}' '{home}' && exec '{}' -S 127.0.0.1,{port} -p 38000:43999 \
         -c 20000 -C 20000 -H -A -U 133:022 -M -I 600 {}",
        root.display(),
        bin.display(),
        tls.map(|pem| format!("-Y 1 -2 '{}'", pem.display())).unwrap_or_default()
    );
    spawn("pure-ftpd", port, Command::new("unshare").args(["--mount", "--propagation", "private", "sh", "-c", &script]))
}
