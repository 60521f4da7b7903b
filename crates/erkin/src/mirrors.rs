//! `erkin mirrors list|add|remove`: the publication's signed mirror list.
//!
//! Editors change the list by signing a `set_mirrors` entry holding the
//! whole new list (the core checks it: erkin_core::mirrors); `add` and
//! `remove` read the current list from the member's verified copy, change
//! it and sign the result. An address is written in its canonical form
//! first, so `https://Habar.Example` and `https://habar.example/` are one
//! mirror.

use anyhow::{bail, Result};
use erkin_core::action::{Action, MirrorEntry, SetMirrors};
use erkin_core::mirrors::{canonical_url, MirrorKind};

use crate::cli::{MirrorsAddArgs, MirrorsCommand, MirrorsRemoveArgs};
use crate::desk::Place;
use crate::govern::submit_action;
use crate::term::{outln, print_json};

pub fn run(place: &Place, command: MirrorsCommand) -> Result<u8> {
    match command {
        MirrorsCommand::List(args) => list(place, args.json),
        MirrorsCommand::Add(args) => add(place, args),
        MirrorsCommand::Remove(args) => remove(place, args),
    }
}

fn kind_word(m: &MirrorEntry) -> &'static str {
    match m.kind() {
        MirrorKind::Https => "https",
        MirrorKind::Onion => "onion",
        MirrorKind::Bundle => "bundle",
    }
}

fn list(place: &Place, json: bool) -> Result<u8> {
    let p = crate::desk::view(place)?;
    let mirrors = p.state().mirrors();
    if json {
        print_json(mirrors)?;
        return Ok(0);
    }
    if mirrors.is_empty() {
        eprintln!("The log names no mirrors yet (editors add them: erkin mirrors add URL).");
    }
    for m in mirrors {
        outln!("{}\t{}", kind_word(m), m.url);
        for pin in &m.pins {
            outln!("\tpin sha256:{pin}");
        }
    }
    Ok(0)
}

fn add(place: &Place, args: MirrorsAddArgs) -> Result<u8> {
    let url = canonical_url(&args.url)?;
    let pins: Vec<String> = args
        .pins
        .iter()
        .map(|p| {
            p.trim()
                .trim_start_matches("sha256:")
                .replace(':', "")
                .to_ascii_lowercase()
        })
        .collect();
    let entry_url = url.clone();
    submit_action(place, &args.key, move |state| {
        let mut list = state.mirrors().to_vec();
        if list.iter().any(|m| m.url == entry_url) {
            bail!("{entry_url} is already on the list");
        }
        list.push(MirrorEntry {
            url: entry_url,
            pins,
        });
        Ok(Action::SetMirrors(SetMirrors { mirrors: list }))
    })?;
    eprintln!("Added {url}; the mirror list is signed in the log.");
    Ok(0)
}

fn remove(place: &Place, args: MirrorsRemoveArgs) -> Result<u8> {
    let url = canonical_url(&args.url).unwrap_or_else(|_| args.url.clone());
    let gone = url.clone();
    submit_action(place, &args.key, move |state| {
        let mut list = state.mirrors().to_vec();
        let before = list.len();
        list.retain(|m| m.url != gone);
        if list.len() == before {
            bail!("{gone} is not on the mirror list (erkin mirrors list shows it)");
        }
        Ok(Action::SetMirrors(SetMirrors { mirrors: list }))
    })?;
    eprintln!("Removed {url} from the mirror list.");
    Ok(0)
}
