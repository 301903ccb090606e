//! The load generator of bench/serve.sh: loopback only, bounded in requests and time.
//!
//!   serve-load get 127.0.0.1:PORT PATH CLIENTS REQUESTS SECONDS EXPECTED_BYTES
//!       CLIENTS keep-alive connections ask for PATH until REQUESTS answers have come or
//!       SECONDS have passed; prints answers, whole answers (status 200 and exactly
//!       EXPECTED_BYTES of body), errors, requests per second and latency percentiles.
//!   serve-load live 127.0.0.1:PORT PATH FILE SAMPLES
//!       opens PATH (a live stream), appends SAMPLES events to FILE one by one and prints how
//!       long each took from the write to its event at the client.
//!
//! Refuses any address that is not loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!(
            "usage: serve-load get ADDR PATH CLIENTS REQUESTS SECONDS BYTES | live ADDR PATH FILE SAMPLES"
        );
        std::process::exit(2)
    };
    if a.len() < 4 {
        usage();
    }
    let addr: SocketAddr = a[2].parse().unwrap_or_else(|_| usage());
    if !addr.ip().is_loopback() {
        eprintln!("serve-load: {addr} is not a loopback address");
        std::process::exit(2);
    }
    match a[1].as_str() {
        "get" if a.len() == 8 => {
            let n = |i: usize| a[i].parse::<u64>().unwrap_or_else(|_| usage());
            get(
                addr,
                &a[3],
                n(4) as usize,
                n(5),
                Duration::from_secs(n(6)),
                n(7),
            );
        }
        "live" if a.len() == 6 => {
            live(addr, &a[3], &a[4], a[5].parse().unwrap_or_else(|_| usage()))
        }
        _ => usage(),
    }
}

/// Reads one response; returns (status, body length). Understands Content-Length only.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, u64)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("status line {line:?}"),
            )
        })?;
    let mut len = 0u64;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut left = len;
    let mut buf = [0u8; 16384];
    while left > 0 {
        let n = r.read(&mut buf[..left.min(16384) as usize])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= n as u64;
    }
    Ok((status, len))
}

fn get(addr: SocketAddr, path: &str, clients: usize, total: u64, limit: Duration, want: u64) {
    let sent = Arc::new(AtomicU64::new(0));
    let whole = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(Mutex::new(Vec::<u32>::new()));
    let started = Instant::now();
    let deadline = started + limit;
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (sent, whole, errors, lat) =
                (sent.clone(), whole.clone(), errors.clone(), lat.clone());
            let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
                while Instant::now() < deadline && sent.fetch_add(1, Ordering::Relaxed) < total {
                    if conn.is_none() {
                        match TcpStream::connect(addr) {
                            Ok(s) => {
                                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                                let _ = s.set_nodelay(true);
                                let r = BufReader::new(s.try_clone().unwrap());
                                conn = Some((s, r));
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(10));
                                continue;
                            }
                        }
                    }
                    let (s, r) = conn.as_mut().unwrap();
                    let t = Instant::now();
                    let res = s.write_all(req.as_bytes()).and_then(|_| read_response(r));
                    match res {
                        Ok((200, n)) if n == want => {
                            whole.fetch_add(1, Ordering::Relaxed);
                            mine.push(t.elapsed().as_micros() as u32);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            conn = None;
                        }
                    }
                }
                lat.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let secs = started.elapsed().as_secs_f64();
    let mut l = lat.lock().unwrap().clone();
    l.sort_unstable();
    let pct = |p: f64| {
        if l.is_empty() {
            0.0
        } else {
            l[((l.len() - 1) as f64 * p) as usize] as f64 / 1000.0
        }
    };
    let w = whole.load(Ordering::Relaxed);
    let e = errors.load(Ordering::Relaxed);
    println!(
        "clients={clients} answers={} whole={w} errors={e} req/s={:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms",
        w + e,
        w as f64 / secs,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

fn live(addr: SocketAddr, path: &str, file: &str, samples: usize) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    // Wait for the reset message: the stream is open and caught up.
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            eprintln!("serve-load: the stream ended");
            std::process::exit(1);
        }
        if line.starts_with("data: {") {
            break;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("open FILE");
    let mut lat = Vec::new();
    for k in 0..samples {
        std::thread::sleep(Duration::from_millis(50));
        let mark = format!("live-mark-{k}");
        let t = Instant::now();
        f.write_all(format!("[0.05, \"o\", \"{mark}\\r\\n\"]\n").as_bytes())
            .unwrap();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                eprintln!("serve-load: the stream ended");
                std::process::exit(1);
            }
            if line.contains(&mark) {
                break;
            }
        }
        lat.push(t.elapsed());
    }
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "live samples={samples} median={:.2}ms p90={:.2}ms max={:.2}ms",
        ms(lat[lat.len() / 2]),
        ms(lat[(lat.len() - 1) * 9 / 10]),
        ms(lat[lat.len() - 1])
    );
}
