//! `users add|list|remove|set-role|reset-password`: the console's local users.
//!
//! Passwords are typed at a prompt (not echoed, asked twice) or read from stdin with
//! `--password-stdin` (one line), and stored only as argon2id hashes. A new password ends the
//! user's open sessions; so does removing the user.
use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, anyhow};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use mlc_store::{Role, StateStore};

use crate::cli::{GlobalArgs, UsersCommand};
use crate::error::{AppError, AppResult};
use crate::plumbing::{block_on, load_settings, open_store};
use crate::server::console::auth::{MIN_PASSWORD_LEN, hash_password};

pub(crate) fn run(global: &GlobalArgs, cmd: &UsersCommand) -> AppResult {
    let settings = load_settings(global)?;
    // Ask for the password before touching the store: a typo at the prompt changes nothing.
    let password = match cmd {
        UsersCommand::Add { password_stdin, .. }
        | UsersCommand::ResetPassword { password_stdin, .. } => {
            Some(read_password(*password_stdin)?)
        }
        _ => None,
    };
    block_on(async {
        let store = open_store(&settings).await?;
        match cmd {
            UsersCommand::Add { name, role, .. } => {
                add(
                    &*store,
                    name,
                    role.0,
                    password.as_deref().unwrap_or_default(),
                )
                .await
            }
            UsersCommand::List { json } => list(&*store, *json).await,
            UsersCommand::Remove { name } => remove(&*store, name).await,
            UsersCommand::SetRole { name, role } => set_role(&*store, name, role.0).await,
            UsersCommand::ResetPassword { name, .. } => {
                reset(&*store, name, password.as_deref().unwrap_or_default()).await
            }
        }
    })?
}

/// Checks a user name: 1 to 64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub(crate) fn check_name(name: &str) -> AppResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AppError::usage(anyhow!(
            "user name {name:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Checks a new password's length.
pub(crate) fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::usage(anyhow!(
            "the password is too short: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> AppResult<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")
            .map_err(AppError::usage)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(AppError::usage(anyhow!(
                "stdin is not a terminal, so there is nothing to prompt on; pipe the password \
                 and add --password-stdin"
            )));
        }
        let first = rpassword::prompt_password("Password: ")
            .context("cannot read the password")
            .map_err(AppError::usage)?;
        let second = rpassword::prompt_password("Same password again: ")
            .context("cannot read the password")
            .map_err(AppError::usage)?;
        if first != second {
            return Err(AppError::usage(anyhow!(
                "the two passwords differ; nothing changed"
            )));
        }
        first
    };
    check_password(&password)?;
    Ok(password)
}

async fn add(store: &dyn StateStore, name: &str, role: Role, password: &str) -> AppResult {
    check_name(name)?;
    let hash = hash_password(password).map_err(AppError::failure)?;
    if !store.user_add(name, role, &hash).await? {
        return Err(AppError::usage(anyhow!(
            "user {name} already exists; `ml-connector users set-role` or `reset-password` \
             change it"
        )));
    }
    println!("Added user {name} ({role}).");
    Ok(())
}

async fn list(store: &dyn StateStore, json: bool) -> AppResult {
    let users = store.users().await?;
    if json {
        // Never the password hashes.
        let rows: Vec<serde_json::Value> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "name": u.name,
                    "role": u.role,
                    "created_at": u.created_at,
                    "updated_at": u.updated_at,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(AppError::failure)?
        );
        return Ok(());
    }
    if users.is_empty() {
        println!("No console users; add one with `ml-connector users add NAME --role admin`.");
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["user", "role", "created (UTC)", "changed (UTC)"]);
    for u in &users {
        table.add_row(vec![
            u.name.clone(),
            u.role.to_string(),
            u.created_at.strftime("%Y-%m-%d %H:%M").to_string(),
            u.updated_at.strftime("%Y-%m-%d %H:%M").to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn no_such_user(name: &str) -> AppError {
    AppError::usage(anyhow!(
        "no user {name}; `ml-connector users list` lists them"
    ))
}

async fn remove(store: &dyn StateStore, name: &str) -> AppResult {
    if !store.user_remove(name).await? {
        return Err(no_such_user(name));
    }
    println!("Removed user {name} and ended their sessions.");
    Ok(())
}

async fn set_role(store: &dyn StateStore, name: &str, role: Role) -> AppResult {
    if !store.user_set_role(name, role).await? {
        return Err(no_such_user(name));
    }
    println!("User {name} is now {role}.");
    Ok(())
}

async fn reset(store: &dyn StateStore, name: &str, password: &str) -> AppResult {
    let hash = hash_password(password).map_err(AppError::failure)?;
    if !store.user_set_password(name, &hash).await? {
        return Err(no_such_user(name));
    }
    println!("New password set for {name}; their open sessions are ended.");
    Ok(())
}
