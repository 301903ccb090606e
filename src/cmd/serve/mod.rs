//! cast-serve: a folder of recordings on the web, with live views of the ones still being
//! written.
//!
//! One command pointed at the folder cast-rec writes into: an index page, JSON for scripts, the
//! raw files (with CORS, validators and ranges, so other pages can play them), the page
//! cast-to-html makes, an embed snippet, transcripts, search, and a live stream of every
//! recording that is still growing. Everything a page or transcript needs is the library's own
//! code (cast-info's summary, cast-to-html's page, cast-to-txt's transcript, cast-grep's
//! search), run on tokio's blocking pool with at most a few at a time; files and live streams
//! are read asynchronously, so no thread is tied to a connection.
//!
//! [`catalog`] finds the recordings and is the only way from a URL to a file; [`http`] holds
//! the connection limits and streaming bodies; [`routes`] answers each request; [`live`]
//! follows a growing file as server-sent events.

pub mod catalog;
pub mod http;
pub mod live;
pub mod routes;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use tokio::sync::{Semaphore, watch};

use crate::cli;
use crate::cmd::to_html::{PLAYER_CDN, Player};
use crate::error::{Error, Result};
use crate::time::{self, Micros};
use catalog::Catalog;
use http::stopped;

const EXAMPLES: &str = "\
Examples:
  cast-serve                                  the recordings under . on http://127.0.0.1:8000/
  cast-serve ~/casts --listen 127.0.0.1:9000  another folder, another port
  cast-serve /var/ci/casts --listen 0.0.0.0:8000 --token \"$TOKEN\" --base-url https://ci.example.com/casts
                                              for a team: every request needs the token
  cast-serve --player-dir node_modules/asciinema-player casts
                                              pages that work with no network
  curl -s localhost:8000/recordings?status=recording | jq -r '.[].urls.player'
                                              the recordings still being written

Routes:
  GET /                           index page: newest first, with a search box
  GET /recordings                 every recording as JSON (?status=recording|complete|truncated)
  GET /recordings/ID              one recording as JSON: what cast-info --json says, status, URLs
  GET /recordings/ID/cast         the file as it is on disk (CORS, ETag, Last-Modified, Range)
  GET /recordings/ID/player       a page that plays it (live while it is being written; ?t=SECS)
  GET /recordings/ID/embed        an HTML snippet to paste elsewhere, with absolute URLs
  GET /recordings/ID/live         server-sent events for asciinema-player's eventsource driver
  GET /recordings/ID/txt          the transcript (cast-to-txt)
  GET /search?q=TEXT              cast-grep over every recording (JSON with Accept: application/json)
  DELETE /recordings/ID           only with --allow-delete (otherwise 405)
  ID is the path under DIR without .cast or .json.

Security:
  Without --token, anyone who can reach the address can read every recording (and delete them
  with --allow-delete). The default address is loopback only; when binding any other address,
  give a token (a warning says so otherwise). Only regular files found under DIR are served:
  hidden files, links leading out of DIR and every spelling of '..' are not found.

Exit status:
  0  stopped by SIGINT or SIGTERM
  2  an error (a bad option, DIR missing, the address in use)";

/// Serve a folder of asciicast recordings over HTTP, with live views of growing ones
///
/// Finds every recording under DIR (recursively; .cast, and v1 .json; hidden entries skipped),
/// notices new and removed files while running, and serves an index page, JSON, the raw files,
/// player pages, embed snippets, transcripts, search, and live event streams for recordings
/// still being written. Read-only unless --allow-delete. Access log lines go to standard error.
///
/// Without --token, anyone who can reach the listening address can read every recording; bind
/// a non-loopback address only together with --token.
#[derive(Debug, Parser)]
#[command(name = "cast-serve", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Folder of recordings
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Address and port to listen on (port 0 picks a free one; the address is printed)
    #[arg(
        short = 'l',
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8000"
    )]
    pub listen: SocketAddr,

    /// Require this token on every request, as `Authorization: Bearer TOKEN` or `?token=TOKEN`
    ///
    /// Without it, anyone who can reach the address can read every recording. Pages opened
    /// with ?token= carry it in their links.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// The server's public URL, for absolute links in embed snippets and JSON [default: from
    /// the request's Host]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Serve the player from DIR (a local `npm install asciinema-player`) instead of loading it
    /// from the pinned CDN: pages then need no network
    #[arg(long, value_name = "DIR")]
    pub player_dir: Option<PathBuf>,

    /// Allow `DELETE /recordings/ID` to remove a recording's file
    #[arg(long)]
    pub allow_delete: bool,

    /// A recording without an exit event that has not grown for SECS is no longer live: its
    /// live streams end and its status turns from recording to truncated
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock, default_value = "300")]
    pub live_timeout: Micros,

    /// Look for new, changed and removed files every SECS even without file-system events
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock, default_value = "2")]
    pub poll: Micros,

    /// Most connections open at once; more wait to be accepted
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,

    /// Close a connection whose request headers take longer than SECS, or whose client reads
    /// nothing of the answer for as long
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock, default_value = "30")]
    pub client_timeout: Micros,

    /// Print no access log lines (warnings and errors are still printed)
    #[arg(short = 'q', long = "quiet")]
    pub no_log: bool,
}

pub fn command() -> clap::Command {
    Args::command()
}

/// What every request handler shares.
pub struct State {
    pub catalog: Catalog,
    pub token: Option<String>,
    pub base_url: Option<String>,
    /// The player inlined into pages, when --player-dir was given.
    pub local_player: Option<Player>,
    pub allow_delete: bool,
    pub live_timeout: Duration,
    pub log: bool,
    /// Bumped on every file-system event under the folder.
    pub changed: watch::Receiver<u64>,
    /// True once the server is stopping.
    pub stop: watch::Receiver<bool>,
    /// Library calls (pages, transcripts, searches, summaries) running at once.
    pub work: Arc<Semaphore>,
    pub listen: SocketAddr,
}

impl State {
    /// The player for pages: the local copy inlined, or the pinned CDN.
    pub fn page_player(&self) -> Player {
        self.local_player.clone().unwrap_or(Player::Url {
            base: PLAYER_CDN.to_string(),
            pinned: true,
        })
    }
}

/// Library calls (pages, transcripts, searches, summaries) run at once on the blocking pool;
/// more wait their turn without a thread. A page is produced as fast as its client reads it,
/// so this is also how many slow readers can hold a producer at the same time.
const WORK: usize = 16;

fn micros_to_duration(t: Micros) -> Duration {
    Duration::from_micros(t.max(0) as u64)
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let catalog = Catalog::new(&a.dir)?;
    let local_player = a.player_dir.as_deref().map(Player::from_dir).transpose()?;
    if let Some(u) = &a.base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(Error::msg(format!(
            "--base-url {u}: expected an http:// or https:// URL"
        )));
    }
    if a.token.as_deref() == Some("") {
        return Err(Error::msg("--token: the token is empty"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .thread_name("cast-serve")
        .build()
        .map_err(|e| Error::msg(format!("cannot start the runtime: {e}")))?;
    rt.block_on(serve(a, catalog, local_player))
}

async fn serve(a: Args, catalog: Catalog, local_player: Option<Player>) -> Result<u8> {
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| Error::msg(format!("cannot listen on {}: {e}", a.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::msg(format!("cannot listen on {}: {e}", a.listen)))?;
    if !addr.ip().is_loopback() && a.token.is_none() {
        cli::warn(format!(
            "listening on {addr} without --token: anyone who can reach it can read every recording"
        ));
    }
    let (changed_tx, changed) = watch::channel(0u64);
    let (stop_tx, stop) = watch::channel(false);
    let state = Arc::new(State {
        catalog,
        token: a.token.clone(),
        base_url: a
            .base_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_string()),
        local_player,
        allow_delete: a.allow_delete,
        live_timeout: micros_to_duration(a.live_timeout),
        log: !a.no_log,
        changed,
        stop,
        work: Arc::new(Semaphore::new(WORK)),
        listen: addr,
    });
    let n = {
        let s = Arc::clone(&state);
        tokio::task::spawn_blocking(move || s.catalog.scan())
            .await
            .unwrap_or(0)
    };
    cli::error(format!(
        "serving {} recording{} from {} on http://{addr}/",
        n,
        if n == 1 { "" } else { "s" },
        a.dir.display()
    ));
    let watcher = watch_folder(&state, changed_tx, micros_to_duration(a.poll));

    let stopper = tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        let _ = stop_tx.send(true);
    });
    let limits = http::Limits {
        max_connections: a.max_connections,
        client_timeout: micros_to_duration(a.client_timeout).max(Duration::from_millis(100)),
    };
    let st = Arc::clone(&state);
    http::serve(
        listener,
        limits,
        state.stop.clone(),
        Duration::from_secs(5),
        move |req, peer| routes::handle(Arc::clone(&st), req, peer),
    )
    .await;
    stopper.abort();
    drop(watcher);
    if state.log {
        cli::error("stopped");
    }
    Ok(cli::EXIT_OK)
}

/// Keeps the catalog current: inotify events (through `notify`) signal every live stream at
/// once and trigger a rescan soon after; a rescan also runs every `poll`, for file systems
/// that send no events. Returns the watcher, which stops when dropped.
fn watch_folder(
    state: &Arc<State>,
    changed: watch::Sender<u64>,
    poll: Duration,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let changed = Arc::new(changed);
    let signal = Arc::clone(&changed);
    let watcher = notify::recommended_watcher(move |r: notify::Result<notify::Event>| {
        if r.is_ok() {
            signal.send_modify(|n| *n = n.wrapping_add(1));
        }
    })
    .and_then(|mut w| {
        w.watch(state.catalog.real_root(), notify::RecursiveMode::Recursive)
            .map(|()| w)
    });
    let watcher = match watcher {
        Ok(w) => Some(w),
        Err(e) => {
            cli::warn(format!(
                "cannot watch {} ({e}): looking for changes every {}s instead",
                state.catalog.real_root().display(),
                poll.as_secs_f64()
            ));
            None
        }
    };
    let st = Arc::clone(state);
    let mut events = changed.subscribe();
    let poll = poll.max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut stop = st.stop.clone();
        loop {
            tokio::select! {
                r = events.changed() => {
                    if r.is_err() { break; }
                    // Let a burst of events (a recorder writing) settle into one rescan.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    events.borrow_and_update();
                }
                _ = tokio::time::sleep(poll) => {}
                _ = stopped(&mut stop) => break,
            }
            let s = Arc::clone(&st);
            let _ = tokio::task::spawn_blocking(move || s.catalog.scan()).await;
        }
    });
    watcher
}
