//! ssl_ciphers: vsftpd takes an OpenSSL cipher list; rftpd keeps the
//! suites of that list that rustls has, by OpenSSL or IANA name, in the
//! order given. Keywords and names rustls lacks (HIGH, !aNULL, DES-CBC3-SHA)
//! are skipped; a list that keeps nothing is an error.

use rustls::SupportedCipherSuite;

/// OpenSSL's names of the suites rustls offers, beside rustls' own (IANA) names.
const OPENSSL_NAMES: &[(&str, &str)] = &[
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

fn iana_name(suite: &SupportedCipherSuite) -> String {
    format!("{:?}", suite.suite())
}

/// The suites of `available` named in `list` (colon-, comma- or space-separated).
pub(crate) fn select(available: &[SupportedCipherSuite], list: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    for word in list.split([':', ',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let iana = OPENSSL_NAMES.iter().find(|(o, _)| o.eq_ignore_ascii_case(word)).map_or(word, |(_, i)| *i);
        for suite in available.iter().filter(|s| iana_name(s).eq_ignore_ascii_case(iana)) {
            if !chosen.iter().any(|c| c.suite() == suite.suite()) {
                chosen.push(*suite);
            }
        }
    }
    if chosen.is_empty() {
        let names: Vec<String> = available.iter().map(iana_name).collect();
        return Err(format!("'{list}' names no cipher suite rftpd has (it has {})", names.join(", ")));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_and_iana_names_keywords_skipped() {
        let all = rustls::crypto::ring::default_provider().cipher_suites;
        let got = select(&all, "HIGH:!aNULL:ECDHE-RSA-AES256-GCM-SHA384:TLS13_AES_128_GCM_SHA256").unwrap();
        let names: Vec<String> = got.iter().map(iana_name).collect();
        assert_eq!(names, vec!["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS13_AES_128_GCM_SHA256"]);
        assert!(select(&all, "DES-CBC3-SHA").is_err(), "vsftpd's old default names nothing rustls has");
    }
}
