//! The HTTP side: connections, response bodies, and the limits that keep the server healthy.
//!
//! hyper serves HTTP/1.1 on tokio. Around it, the things a server left running needs:
//! - a cap on open connections (a semaphore: past it, new connections wait in the kernel's
//!   backlog instead of costing memory);
//! - a deadline on slow clients: request headers must arrive within `--client-timeout`
//!   (hyper's header timer), and a write that makes no progress for as long ends the
//!   connection ([`Deadline`]), so a client that stops reading cannot hold a stream open;
//! - bodies that are streamed in small pieces ([`Body`]): a file in 16 KiB reads, anything
//!   produced by a library call (a page, a transcript) through a channel of four pieces, so
//!   memory per connection is bounded whatever the size of the recording;
//! - a graceful end: on SIGINT or SIGTERM no connection is accepted, live streams say they
//!   are done, and answers in flight get a few seconds to finish.

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

/// Bytes read from a file per piece of a response.
const FILE_CHUNK: usize = 16 * 1024;
/// Bytes gathered by [`ChanWriter`] before it hands a piece on.
const CHAN_CHUNK: usize = 32 * 1024;
/// Pieces a channel body holds before its producer waits.
pub const CHAN_DEPTH: usize = 4;

/// A response body.
pub enum Body {
    Empty,
    Full(Option<Bytes>),
    /// `left` bytes of a file, read as they are sent.
    File {
        file: tokio::fs::File,
        left: u64,
        buf: Vec<u8>,
    },
    /// Pieces produced elsewhere (a blocking library call, a live stream).
    Chan(mpsc::Receiver<Bytes>),
}

impl Body {
    pub fn full(b: impl Into<Bytes>) -> Body {
        Body::Full(Some(b.into()))
    }

    pub fn file(file: tokio::fs::File, len: u64) -> Body {
        Body::File {
            file,
            left: len,
            buf: Vec::new(),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        match &mut *self {
            Body::Empty => Poll::Ready(None),
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Chan(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
            Body::File { file, left, buf } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                let want = (*left).min(FILE_CHUNK as u64) as usize;
                buf.resize(want, 0);
                let mut rb = ReadBuf::new(&mut buf[..want]);
                match Pin::new(file).poll_read(cx, &mut rb) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) => {
                        let n = rb.filled().len();
                        if n == 0 {
                            // The file shrank under us: end the answer as broken, not short.
                            return Poll::Ready(Some(Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "file shrank while being sent",
                            ))));
                        }
                        *left -= n as u64;
                        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(&buf[..n])))))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(b) => b.is_none(),
            Body::File { left, .. } => *left == 0,
            Body::Chan(_) => false,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Empty => http_body::SizeHint::with_exact(0),
            Body::Full(b) => {
                http_body::SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64))
            }
            Body::File { left, .. } => http_body::SizeHint::with_exact(*left),
            Body::Chan(_) => http_body::SizeHint::default(),
        }
    }
}

/// A writer for blocking code (a library call on the blocking pool) that hands what it
/// writes to a channel body in pieces. It waits while the channel is full, so a slow client
/// slows the producer instead of filling memory; when the client is gone it fails with a
/// broken pipe, which ends the producer.
pub struct ChanWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

impl ChanWriter {
    pub fn new(tx: mpsc::Sender<Bytes>) -> ChanWriter {
        ChanWriter {
            tx,
            buf: Vec::with_capacity(CHAN_CHUNK),
        }
    }

    /// Another handle on the same channel (for a writer that is dropped before this one
    /// writes again).
    pub fn sender(&self) -> mpsc::Sender<Bytes> {
        self.tx.clone()
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHAN_CHUNK),
        ));
        self.tx
            .blocking_send(piece)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

impl Write for ChanWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHAN_CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChanWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// A connection whose writes must make progress within a time limit: a client that stops
/// reading is cut off instead of holding its answer (and its memory) forever.
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Deadline<S> {
    pub fn new(inner: S, limit: Duration) -> Deadline<S> {
        Deadline {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Called when a write is pending: true once it has been pending too long.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let limit = self.limit;
        let s = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        s.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "client too slow")
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub client_timeout: Duration,
}

/// Accepts connections until `stop` turns true, answering each request with `handle`; then
/// waits up to `grace` for the answers in flight.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    handle: H,
) where
    H: Fn(Request<hyper::body::Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let handle = Arc::new(handle);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted.
                    crate::cli::warn(format!("accept: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Deadline::new(stream, limits.client_timeout));
        let h = Arc::clone(&handle);
        let svc = service_fn(move |req| {
            let fut = h(req, peer);
            async move { Ok::<_, Infallible>(fut.await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.client_timeout)
            .keep_alive(true)
            .serve_connection(io, svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {}
    }
}
