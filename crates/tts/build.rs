//! Links libsonic for espeak-ng.
//!
//! espeak-rs-sys builds espeak-ng with CMake, which finds Debian's libsonic-dev and compiles
//! espeak-ng against it (without it, CMake tries to git-clone sonic, which fails offline), but the
//! crate does not link sonic itself. The static archive keeps the app free of a runtime dependency.

fn main() {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    for dir in [
        format!("/usr/lib/{arch}-linux-gnu"),
        "/usr/lib64".to_owned(),
        "/usr/lib".to_owned(),
    ] {
        if std::path::Path::new(&dir).join("libsonic.a").is_file() {
            println!("cargo:rustc-link-search=native={dir}");
            break;
        }
    }
    println!("cargo:rustc-link-lib=static=sonic");
}
