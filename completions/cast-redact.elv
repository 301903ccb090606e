
use builtin;
use str;

set edit:completion:arg-completer[cast-redact] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-redact'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-redact'= {
            cand -e 'Hide matches of REGEX (Rust regex syntax; may be repeated)'
            cand --regex 'Hide matches of REGEX (Rust regex syntax; may be repeated)'
            cand -p 'Hide a common kind of secret: github, aws, private-key, password, bearer, slack, or all (may be repeated; see --list-presets)'
            cand --preset 'Hide a common kind of secret: github, aws, private-key, password, bearer, slack, or all (may be repeated; see --list-presets)'
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --compress 'Compress the output with gzip or zstd [default: by -o''s name: .gz, .zst; with -i, as the file was]'
            cand --report 'List what was redacted on standard error: file, time, rule and event code (never the secret itself)'
            cand --list-presets 'Print the presets with their patterns and exit'
            cand -i 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
            cand --in-place 'Rewrite each FILE in place, atomically; a bad file is reported and the others still run'
            cand --line-buffered 'Flush after every event (the default when standard output is a terminal)'
            cand --strict 'Treat a recording whose last line was cut off as an error, not a warning'
            cand -q 'Print no warnings (errors are still printed)'
            cand --quiet 'Print no warnings (errors are still printed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
