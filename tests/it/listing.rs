//! LIST/NLST/MLSD/MLST/STAT formats (what clients parse), dot files, wildcards,
//! and names that contain CR or LF.

use crate::support::*;

fn tree(srv: &TestServer) {
    let home = srv.path("home/alice");
    std::fs::write(home.join("readme.txt"), "18 bytes of text.\n").unwrap();
    std::fs::create_dir(home.join("dir with space")).unwrap();
    std::fs::write(home.join(".hidden"), "h").unwrap();
    std::os::unix::fs::symlink("readme.txt", home.join("link")).unwrap();
    std::fs::write(home.join("evil\r\n226 fake"), "x").unwrap();
}

/// `ls -l` shape: mode, links, owner, group, size, date, name.
fn assert_ls_line(line: &str) {
    assert_eq!(line.as_bytes()[10], b' ', "{line}");
    assert!(line[..10].chars().all(|c| "-dlrwxsStT".contains(c)), "{line}");
    let f: Vec<&str> = line.split_whitespace().collect();
    assert!(f.len() >= 9, "{line}");
    assert!(f[1].parse::<u64>().is_ok() && f[4].parse::<u64>().is_ok(), "{line}");
}

#[test]
fn list_is_ls_l_without_total_and_hides_dot_files() {
    let srv = TestServer::start(&[]);
    tree(&srv);
    let mut c = srv.alice();
    let list = c.listing("LIST");
    assert!(!list.contains("total"), "{list}");
    assert!(list.ends_with("\r\n"));
    let lines: Vec<&str> = list.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{list}");
    for l in &lines {
        assert_ls_line(l);
    }
    assert!(lines.iter().any(|l| l.starts_with("drwx") && l.ends_with(" dir with space")));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("-rw-r--r--    1 ") && l.contains("       18 ") && l.ends_with(" readme.txt")),
        "{list}"
    );
    assert!(lines.iter().any(|l| l.starts_with("lrwxrwxrwx") && l.ends_with(" link -> readme.txt")));
    assert!(lines.iter().any(|l| l.ends_with(" evil??226 fake")), "CR/LF never raw: {list}");
    assert!(!list.contains(".hidden"));
    assert!(c.listing("LIST -a").contains(" .hidden\r\n"));
    assert!(c.listing("LIST -la").contains(" .hidden\r\n"));
    // LIST of one file lists that file.
    let one = c.listing("LIST readme.txt");
    assert_eq!(one.lines().count(), 1);
    assert!(one.trim_end().ends_with(" readme.txt"));
    assert_eq!(c.cmd("LIST nothing-here").code, 550);
}

#[test]
fn hide_ids_and_numeric_ids() {
    let srv = TestServer::start(&[("hide_ids", "YES")]);
    tree(&srv);
    let mut c = srv.alice();
    let list = c.listing("LIST readme.txt");
    assert!(list.contains(" ftp      ftp    "), "{list}");
}

#[test]
fn nlst_names_and_wildcards() {
    let srv = TestServer::start(&[]);
    tree(&srv);
    std::fs::write(srv.path("home/alice/other.txt"), "").unwrap();
    let mut c = srv.alice();
    let names = c.listing("NLST");
    let mut v: Vec<&str> = names.split("\r\n").filter(|l| !l.is_empty()).collect();
    v.sort();
    assert_eq!(v, vec!["dir with space", "evil??226 fake", "link", "other.txt", "readme.txt"]);
    assert_eq!(c.listing("NLST *.txt"), "other.txt\r\nreadme.txt\r\n");
    assert_eq!(c.listing("NLST readme.txt"), "readme.txt\r\n");
    assert_eq!(c.listing("NLST dir with space"), "");
}

#[test]
fn mlsd_and_mlst_facts() {
    let srv = TestServer::start(&[]);
    tree(&srv);
    let mut c = srv.alice();
    let mlsd = c.listing("MLSD");
    let entry = |name: &str| {
        mlsd.lines()
            .find(|l| l.ends_with(&format!("; {name}")))
            .unwrap_or_else(|| panic!("{name} in {mlsd}"))
            .to_string()
    };
    let readme = entry("readme.txt");
    assert!(readme.starts_with("type=file;size=18;modify="), "{readme}");
    assert!(readme.contains(";perm=adfrw;unique="), "{readme}");
    assert!(entry("dir with space").starts_with("type=dir;"));
    assert!(entry(".").starts_with("type=cdir;"));
    assert!(entry("link").starts_with("type=file;size=18;"), "symlinks are shown resolved");
    assert!(!mlsd.contains('\n') || mlsd.lines().all(|l| !l.contains('\r')), "{mlsd:?}");
    let r = c.cmd("MLST readme.txt");
    assert_eq!(r.code, 250);
    assert_eq!(r.lines.len(), 3, "{r:?}");
    assert!(r.lines[1].starts_with(" type=file;size=18;"));
    assert!(r.lines[1].ends_with("; /readme.txt"));
    assert_eq!(r.lines[2], "250 End");
    assert_eq!(c.cmd("OPTS MLST size;unix.mode;").code, 200);
    let r = c.cmd("MLST readme.txt");
    assert!(r.lines[1].starts_with(" size=18;unix.mode=0644; "), "{r:?}");
    assert_eq!(c.cmd("MLSD readme.txt").code, 501);
    let mut bob = srv.login("bob", "secret");
    std::fs::write(srv.path("home/bob/f"), "").unwrap();
    let r = bob.cmd("MLST f");
    assert!(r.lines[1].contains(";perm=r;"), "read-only user: {r:?}");
}

#[test]
fn mdtm_is_utc_timeval() {
    let srv = TestServer::start(&[]);
    tree(&srv);
    let mut c = srv.alice();
    let r = c.cmd("MDTM readme.txt");
    assert_eq!(r.code, 213);
    let t = &r.lines[0][4..];
    assert_eq!(t.len(), 14);
    assert!(t.starts_with("20"));
    assert_eq!(c.cmd("MDTM dir with space").code, 550);
}
