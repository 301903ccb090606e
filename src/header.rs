//! The header: kept byte-for-byte as read, with a typed view, patched and re-serialized only
//! when a tool changes a field or the output version differs.
//!
//! Unknown keys are never dropped: the header is held as an ordered JSON map, and conversion
//! between v2 and v3 moves only the keys whose place differs (`width`/`height` against
//! `term.cols`/`term.rows`, `theme` against `term.theme`), leaving every other key where it
//! stood.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::time::{self, Micros};

/// An asciicast format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V1,
    V2,
    V3,
}

impl Version {
    /// The version castkit writes for this input version: v1 is written as v2.
    pub fn writable(self) -> Version {
        match self {
            Version::V1 => Version::V2,
            v => v,
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.number())
    }
}

/// Terminal size used when a header does not give one (as asciinema does).
pub const DEFAULT_SIZE: (u16, u16) = (80, 24);

/// A recording's header.
#[derive(Debug, Clone)]
pub struct Header {
    version: Version,
    /// The header line exactly as read (v2, v3), without its line ending.
    raw: Option<Vec<u8>>,
    fields: Map<String, Value>,
    /// Set when a field was changed, or the raw line is not fit to be written back.
    dirty: bool,
    /// What was wrong with the header as read, and what was done about it; the reader hands
    /// these on with the line number.
    warnings: Vec<String>,
}

impl Header {
    /// A new header of `version` (v2 or v3) for a terminal of `cols` x `rows`.
    pub fn new(version: Version, cols: u16, rows: u16) -> Header {
        let mut fields = Map::new();
        let version = version.writable();
        fields.insert("version".into(), Value::from(version.number()));
        match version {
            Version::V3 => {
                let mut term = Map::new();
                term.insert("cols".into(), Value::from(cols));
                term.insert("rows".into(), Value::from(rows));
                fields.insert("term".into(), Value::Object(term));
            }
            _ => {
                fields.insert("width".into(), Value::from(cols));
                fields.insert("height".into(), Value::from(rows));
            }
        }
        Header {
            version,
            raw: None,
            fields,
            dirty: true,
            warnings: Vec::new(),
        }
    }

    /// Parses a v2 or v3 header line. The line must be one JSON object with `version` 2 or 3.
    ///
    /// What other readers would choke on is repaired and noted (see [`Header::take_warnings`]):
    /// a key given twice keeps its last value (as serde_json-based readers do, asciinema's
    /// among them) and the header is written back without the duplicate; a `version` written
    /// as a string is read as its number; out-of-range sizes and limits are dealt with as
    /// [`Header::check_fields`] says. A lone UTF-16 surrogate escape (`\ud800` without its
    /// pair) is read as U+FFFD, as in events, and the line kept is the one with `\ufffd` in its
    /// place, so it is valid JSON.
    pub fn parse_line(line: &[u8]) -> Result<Header> {
        let fixed = crate::event::fix_lone_surrogates(line);
        let line = fixed.as_deref().unwrap_or(line);
        let mut dups = Vec::new();
        let value = parse_checked(line, &mut dups)
            .map_err(|e| Error::new(ErrorKind::Header(json_error_text(&e))))?;
        let Value::Object(fields) = value else {
            return Err(Error::new(ErrorKind::Header("not a JSON object".into())));
        };
        let mut warnings = Vec::new();
        let mut dirty = false;
        for key in dups {
            warnings.push(format!(
                "header: key '{key}' appears more than once; used its last value"
            ));
            dirty = true;
        }
        let herr = |m: String| Error::new(ErrorKind::Header(m));
        let number = match fields.get("version") {
            None => return Err(herr("no version field".into())),
            Some(Value::String(s)) => match s.trim().parse::<u64>() {
                Ok(n @ 1..=3) => {
                    warnings.push(format!(
                        "header: version is the string \"{s}\", not a number; read it as {n}"
                    ));
                    dirty = true;
                    n
                }
                _ => return Err(herr(format!("version is the string \"{s}\", not a number"))),
            },
            Some(v) => v
                .as_u64()
                .ok_or_else(|| herr(format!("version is {v}, not 1, 2 or 3")))?,
        };
        let version = match number {
            1 => Version::V1,
            2 => Version::V2,
            3 => Version::V3,
            n => return Err(herr(format!("unsupported version {n}"))),
        };
        let mut h = Header {
            version,
            raw: Some(line.to_vec()),
            fields,
            dirty,
            warnings,
        };
        if h.fields.get("version").is_some_and(Value::is_string) {
            h.fields
                .insert("version".into(), Value::from(version.number()));
        }
        h.check_fields();
        Ok(h)
    }

    /// A header from the fields of a v1 recording (its `stdout` array already taken out).
    pub fn from_v1(mut fields: Map<String, Value>) -> Header {
        fields.remove("stdout");
        let mut h = Header {
            version: Version::V1,
            raw: None,
            fields,
            dirty: true,
            warnings: Vec::new(),
        };
        h.check_fields();
        h
    }

    /// A header from an object found as the first element of a JSON-array recording.
    pub(crate) fn from_object(fields: Map<String, Value>) -> Result<Header> {
        let line = serde_json::to_vec(&fields).expect("serializing a map cannot fail");
        let mut h = Header::parse_line(&line)?;
        h.dirty = true;
        Ok(h)
    }

    /// Takes the notes on what was wrong with the header as read (each starts `header: `).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Brings the fields other readers rely on into range, with a warning naming each one
    /// changed, so that what castkit writes loads in asciinema (which reads sizes as u16):
    ///
    /// - a terminal size (`width`, `height`, `term.cols`, `term.rows`) is a whole number from 1
    ///   to 65535: a larger one becomes 65535, a positive fraction is rounded down, and zero,
    ///   a negative number or a non-number is replaced by the default (80 columns, 24 rows);
    /// - `idle_time_limit` must be a positive time: any other value is dropped (players and
    ///   cast-idle would otherwise collapse every pause to nothing).
    fn check_fields(&mut self) {
        let mut notes = Vec::new();
        for (key, default) in [("width", 80), ("height", 24), ("cols", 80), ("rows", 24)] {
            if let Some(v) = self.fields.get_mut(key)
                && let Some(fixed) = fix_size(v, default)
            {
                notes.push(size_note(key, v, fixed));
                *v = Value::from(fixed);
            }
        }
        if let Some(Value::Object(term)) = self.fields.get_mut("term") {
            for (key, default) in [("cols", 80), ("rows", 24)] {
                if let Some(v) = term.get_mut(key)
                    && let Some(fixed) = fix_size(v, default)
                {
                    notes.push(size_note(&format!("term.{key}"), v, fixed));
                    *v = Value::from(fixed);
                }
            }
        }
        if let Some(v) = self.fields.get("idle_time_limit")
            && self.seconds_field("idle_time_limit").is_none_or(|t| t <= 0)
        {
            notes.push(format!(
                "header: idle_time_limit {v} is not a positive time; ignored it"
            ));
            self.fields.shift_remove("idle_time_limit");
        }
        if !notes.is_empty() {
            self.dirty = true;
            self.warnings.append(&mut notes);
        }
        self.check_size();
    }

    /// A header without its version's own size fields (`term.cols`/`term.rows` in v3,
    /// `width`/`height` otherwise) must be rewritten when written: players read only those.
    fn check_size(&mut self) {
        let positive = |v: Option<&Value>| v.and_then(Value::as_u64).is_some_and(|n| n > 0);
        let native = match self.version {
            Version::V3 => {
                let term = self.fields.get("term");
                positive(term.and_then(|t| t.get("cols")))
                    && positive(term.and_then(|t| t.get("rows")))
            }
            _ => positive(self.fields.get("width")) && positive(self.fields.get("height")),
        };
        if !native {
            self.dirty = true;
        }
    }

    /// The version the recording was read as.
    pub fn version(&self) -> Version {
        self.version
    }

    fn size_field(&self) -> Option<(u16, u16)> {
        let num = |v: Option<&Value>| {
            v.and_then(Value::as_u64)
                .filter(|&n| n > 0 && n <= u16::MAX as u64)
                .map(|n| n as u16)
        };
        let term = self.fields.get("term").and_then(Value::as_object);
        let cols = num(term.and_then(|t| t.get("cols")))
            .or_else(|| num(self.fields.get("width")))
            .or_else(|| num(self.fields.get("cols")));
        let rows = num(term.and_then(|t| t.get("rows")))
            .or_else(|| num(self.fields.get("height")))
            .or_else(|| num(self.fields.get("rows")));
        Some((cols?, rows?))
    }

    /// Terminal size as (cols, rows); 80x24 when the header lacks one.
    pub fn size(&self) -> (u16, u16) {
        self.size_field().unwrap_or(DEFAULT_SIZE)
    }

    /// True when the header itself gives a terminal size.
    pub fn has_size(&self) -> bool {
        self.size_field().is_some()
    }

    /// A field as read (`title`, `env`, an unknown key, ...).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// All fields, in order.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    pub fn title(&self) -> Option<&str> {
        self.str_field("title")
    }

    pub fn command(&self) -> Option<&str> {
        self.str_field("command")
    }

    /// Unix time of the recording's start.
    pub fn timestamp(&self) -> Option<i64> {
        self.fields.get("timestamp").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        })
    }

    /// A seconds-valued field (`idle_time_limit`, `duration`) in exact microseconds.
    pub fn seconds_field(&self, key: &str) -> Option<Micros> {
        match self.fields.get(key)? {
            Value::Number(n) => time::parse_seconds(n.to_string().as_bytes()).ok(),
            Value::String(s) => time::parse_seconds(s.trim().as_bytes()).ok(),
            _ => None,
        }
    }

    pub fn idle_time_limit(&self) -> Option<Micros> {
        self.seconds_field("idle_time_limit")
    }

    /// The `TERM` the recording was made in (v3 `term.type`, else v2 `env.TERM`).
    pub fn term_type(&self) -> Option<&str> {
        self.fields
            .get("term")
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .or_else(|| {
                self.fields
                    .get("env")
                    .and_then(|e| e.get("TERM"))
                    .and_then(Value::as_str)
            })
    }

    /// Sets (or with `None` removes) a field, keeping its place among the others.
    pub fn set(&mut self, key: &str, value: Option<Value>) {
        match value {
            Some(v) => {
                if self.fields.get(key) != Some(&v) {
                    self.fields.insert(key.to_string(), v);
                    self.dirty = true;
                }
            }
            None => {
                if self.fields.shift_remove(key).is_some() {
                    self.dirty = true;
                }
            }
        }
    }

    pub fn set_title(&mut self, title: Option<&str>) {
        self.set("title", title.map(Value::from));
    }

    /// Sets a seconds-valued field from exact microseconds (written as a JSON number).
    pub fn set_seconds(&mut self, key: &str, t: Option<Micros>) {
        let v = t.map(|t| {
            let text = time::seconds_string(t);
            serde_json::from_str::<Value>(&text).expect("a decimal is a JSON number")
        });
        self.set(key, v);
    }

    pub fn set_idle_time_limit(&mut self, t: Option<Micros>) {
        self.set_seconds("idle_time_limit", t);
    }

    /// Call when a tool changed event times: a stored `duration` would now be wrong.
    pub fn times_changed(&mut self) {
        self.set("duration", None);
    }

    /// Sets the terminal size in the place the header's version keeps it.
    pub fn set_size(&mut self, cols: u16, rows: u16) {
        if self.size_field() == Some((cols, rows)) {
            return;
        }
        if self.version == Version::V3 {
            let term = self
                .fields
                .entry("term")
                .or_insert_with(|| Value::Object(Map::new()));
            if !term.is_object() {
                *term = Value::Object(Map::new());
            }
            let t = term.as_object_mut().expect("made an object above");
            t.insert("cols".into(), Value::from(cols));
            t.insert("rows".into(), Value::from(rows));
        } else {
            self.fields.insert("width".into(), Value::from(cols));
            self.fields.insert("height".into(), Value::from(rows));
        }
        self.dirty = true;
    }

    /// The header line to write for output version `target` (v1 means v2), without a newline.
    ///
    /// When nothing changed and the version is the same, this is the line exactly as read.
    pub fn to_line(&self, target: Version) -> Vec<u8> {
        let target = target.writable();
        if !self.dirty
            && target == self.version
            && let Some(raw) = &self.raw
        {
            return raw.clone();
        }
        let fields = self.converted(target);
        serde_json::to_vec(&fields).expect("serializing a map cannot fail")
    }

    fn converted(&self, target: Version) -> Map<String, Value> {
        let (cols, rows) = self.size();
        let mut out = Map::new();
        let mut placed_size = false;
        let mut env_term: Option<Value> = None;
        let mut theme: Option<Value> = None;
        let is_size_key = |k: &str| matches!(k, "width" | "height" | "term");
        for (k, v) in &self.fields {
            if k == "version" {
                out.insert(k.clone(), Value::from(target.number()));
                continue;
            }
            if k == "stdout" {
                continue;
            }
            if is_size_key(k) || (k == "theme" && target == Version::V3) {
                if let ("term", Some(t)) = (k.as_str(), v.as_object()) {
                    if let Some(ty) = t.get("type") {
                        env_term = Some(ty.clone());
                    }
                    if let Some(th) = t.get("theme") {
                        theme = Some(th.clone());
                    }
                }
                if k == "theme" {
                    theme = Some(v.clone());
                    continue;
                }
                if !placed_size {
                    placed_size = true;
                    insert_size(&mut out, target, cols, rows, self.fields.get("term"));
                }
                continue;
            }
            if k == "duration" && target == Version::V3 {
                continue; // v3 has no duration field; players compute it.
            }
            if let (true, "env", Some(env)) = (target == Version::V3, k.as_str(), v.as_object()) {
                // v3 readers require string values (v2 files have been seen with nulls).
                let env: Map<String, Value> = env
                    .iter()
                    .filter(|(_, v)| v.is_string())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                out.insert(k.clone(), Value::Object(env));
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
        if !out.contains_key("version") {
            // `shift_insert` keeps `version` first, where every tool expects it.
            out.shift_insert(0, "version".into(), Value::from(target.number()));
        }
        if !placed_size {
            // Right after `version`, where a header's size usually stands.
            let mut sized = Map::new();
            insert_size(&mut sized, target, cols, rows, self.fields.get("term"));
            let mut rebuilt = Map::new();
            for (i, (k, v)) in std::mem::take(&mut out).into_iter().enumerate() {
                rebuilt.insert(k, v);
                if i == 0 {
                    rebuilt.append(&mut sized);
                }
            }
            out = rebuilt;
        }
        match target {
            Version::V3 => {
                let term = out
                    .get_mut("term")
                    .and_then(Value::as_object_mut)
                    .expect("inserted above");
                if let Some(th) = theme {
                    term.entry("theme").or_insert(th);
                }
                if !term.contains_key("type")
                    && let Some(t) = self
                        .fields
                        .get("env")
                        .and_then(|e| e.get("TERM"))
                        .filter(|t| t.is_string())
                {
                    term.insert("type".into(), t.clone());
                }
            }
            _ => {
                if let Some(th) = theme {
                    out.entry("theme").or_insert(th);
                }
                if let Some(t) = env_term.filter(|t| t.is_string()) {
                    let env = out
                        .entry("env")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Some(env) = env.as_object_mut() {
                        env.entry("TERM").or_insert(t);
                    }
                }
            }
        }
        out
    }
}

fn insert_size(
    out: &mut Map<String, Value>,
    target: Version,
    cols: u16,
    rows: u16,
    old_term: Option<&Value>,
) {
    match target {
        Version::V3 => {
            let mut term = Map::new();
            term.insert("cols".into(), Value::from(cols));
            term.insert("rows".into(), Value::from(rows));
            if let Some(old) = old_term.and_then(Value::as_object) {
                for (k, v) in old {
                    if k != "cols" && k != "rows" {
                        term.insert(k.clone(), v.clone());
                    }
                }
            }
            out.insert("term".into(), Value::Object(term));
        }
        _ => {
            out.insert("width".into(), Value::from(cols));
            out.insert("height".into(), Value::from(rows));
        }
    }
}

/// serde_json's message without its " at line 1 column 5" suffix (we name the line ourselves).
/// The value a terminal size field should have instead of `v`, or None when `v` is fine (a
/// whole number from 1 to 65535).
fn fix_size(v: &Value, default: u16) -> Option<u16> {
    if let Some(n) = v.as_u64() {
        return match n {
            0 => Some(default),
            1..=65535 => None,
            _ => Some(u16::MAX),
        };
    }
    match v.as_f64() {
        Some(f) if f >= 65535.0 => Some(u16::MAX),
        Some(f) if f >= 1.0 => Some(f as u16),
        _ => Some(default),
    }
}

fn size_note(key: &str, was: &Value, now: u16) -> String {
    format!(
        "header: {key} {was} is not a terminal size (a whole number from 1 to 65535); used {now}"
    )
}

/// Parses JSON as serde_json does, into a [`Value`], and notes the keys that appear more than
/// once in an object (as dotted paths). As with serde_json, the last value of a key wins.
fn parse_checked(text: &[u8], dups: &mut Vec<String>) -> serde_json::Result<Value> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(text);
    let v = Checked { path: "", dups }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// serde's way of reading a value while watching its objects' keys.
struct Checked<'a> {
    path: &'a str,
    dups: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let v = map.next_value_seed(Checked {
                path: &path,
                dups: self.dups,
            })?;
            if out.insert(key, v).is_some() && !self.dups.contains(&path) {
                self.dups.push(path);
            }
        }
        Ok(Value::Object(out))
    }
}

pub(crate) fn json_error_text(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_header_is_written_byte_for_byte() {
        let line = br#"{"version": 2,  "width": 80, "height": 24, "x-custom": [1, 2]}"#;
        let h = Header::parse_line(line).unwrap();
        assert_eq!(h.to_line(Version::V2), line.to_vec());
    }

    #[test]
    fn patch_keeps_unknown_keys_in_place() {
        let line = br#"{"version":2,"width":80,"height":24,"zz":1,"duration":3.5,"title":"a"}"#;
        let mut h = Header::parse_line(line).unwrap();
        h.times_changed();
        h.set_title(Some("b"));
        assert_eq!(
            String::from_utf8(h.to_line(Version::V2)).unwrap(),
            r#"{"version":2,"width":80,"height":24,"zz":1,"title":"b"}"#
        );
    }

    #[test]
    fn v2_to_v3_and_back() {
        let line = br##"{"version":2,"width":100,"height":30,"timestamp":5,"env":{"TERM":"xterm","SHELL":"/bin/sh"},"theme":{"fg":"#fff"},"k":true}"##;
        let h = Header::parse_line(line).unwrap();
        let v3 = h.to_line(Version::V3);
        assert_eq!(
            String::from_utf8(v3.clone()).unwrap(),
            r##"{"version":3,"term":{"cols":100,"rows":30,"theme":{"fg":"#fff"},"type":"xterm"},"timestamp":5,"env":{"TERM":"xterm","SHELL":"/bin/sh"},"k":true}"##
        );
        let back = Header::parse_line(&v3).unwrap();
        assert_eq!(back.size(), (100, 30));
        let v2 = String::from_utf8(back.to_line(Version::V2)).unwrap();
        assert_eq!(
            v2,
            r##"{"version":2,"width":100,"height":30,"timestamp":5,"env":{"TERM":"xterm","SHELL":"/bin/sh"},"k":true,"theme":{"fg":"#fff"}}"##
        );
    }

    #[test]
    fn missing_size_is_filled_in() {
        let h = Header::parse_line(br#"{"version":2,"height":10}"#).unwrap();
        assert_eq!(h.size(), (80, 24));
        assert_eq!(
            String::from_utf8(h.to_line(Version::V2)).unwrap(),
            r#"{"version":2,"width":80,"height":24}"#
        );
    }

    #[test]
    fn v3_header_without_term_is_rebuilt() {
        let h = Header::parse_line(br#"{"version":3,"height":24,"width":80,"x":1}"#).unwrap();
        assert_eq!(
            String::from_utf8(h.to_line(Version::V3)).unwrap(),
            r#"{"version":3,"term":{"cols":80,"rows":24},"x":1}"#
        );
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(Header::parse_line(b"[1]").is_err());
        assert!(Header::parse_line(br#"{"width":1}"#).is_err());
        assert!(Header::parse_line(br#"{"version":7}"#).is_err());
        assert!(Header::parse_line(b"{").is_err());
    }

    #[test]
    fn idle_limit_round_trips_exactly() {
        let mut h = Header::new(Version::V2, 80, 24);
        h.set_idle_time_limit(Some(2_500_000));
        assert_eq!(h.idle_time_limit(), Some(2_500_000));
        assert!(
            String::from_utf8(h.to_line(Version::V2))
                .unwrap()
                .contains(r#""idle_time_limit":2.5"#)
        );
    }
}
