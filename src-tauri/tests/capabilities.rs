//! The window may call exactly the app's commands: every command named in `COMMAND_NAMES` is
//! registered in the invoke handler and granted in `capabilities/main.json`, and every
//! `allow-*` permission there names a real command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may unwrap.

use std::collections::BTreeSet;
use std::path::Path;

use little_monster::COMMAND_NAMES;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The commands `generate_handler!` registers in src/lib.rs (`area::command,` lines).
fn registered_commands() -> BTreeSet<String> {
    let source = std::fs::read_to_string(manifest_dir().join("src/lib.rs")).unwrap();
    let start = source
        .find("generate_handler![")
        .expect("lib.rs registers commands");
    let block = &source[start..];
    let block = &block[..block.find(']').expect("the handler list ends")];
    block
        .lines()
        .skip(1)
        .filter_map(|line| line.trim().strip_suffix(','))
        .map(|path| path.rsplit("::").next().unwrap().to_owned())
        .collect()
}

fn granted_permissions() -> Vec<String> {
    let text = std::fs::read_to_string(manifest_dir().join("capabilities/main.json")).unwrap();
    let capability: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    capability["permissions"]
        .as_array()
        .expect("a permission list")
        .iter()
        .map(|permission| {
            permission
                .as_str()
                .expect("permissions are names")
                .to_owned()
        })
        .collect()
}

#[test]
fn every_command_is_registered_and_granted_and_nothing_else_is() {
    let named: BTreeSet<String> = COMMAND_NAMES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    assert_eq!(named.len(), COMMAND_NAMES.len(), "a command is named twice");
    assert_eq!(
        registered_commands(),
        named,
        "src/lib.rs's generate_handler! and src/command_names.rs list different commands"
    );
    let permissions = granted_permissions();
    let granted: BTreeSet<String> = permissions
        .iter()
        .filter_map(|permission| permission.strip_prefix("allow-"))
        .map(|command| command.replace('-', "_"))
        .collect();
    for command in &named {
        assert!(
            granted.contains(command),
            "capabilities/main.json does not grant {command}"
        );
    }
    for command in &granted {
        assert!(
            named.contains(command),
            "capabilities/main.json grants allow-{command}, which is no command"
        );
    }
    for permission in permissions.iter().filter(|p| !p.starts_with("allow-")) {
        assert!(
            permission.starts_with("core:event:"),
            "only the event permissions are granted besides the app's commands, not {permission}"
        );
    }
}
