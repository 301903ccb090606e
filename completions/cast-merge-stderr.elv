
use builtin;
use str;

set edit:completion:arg-completer[cast-merge-stderr] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-merge-stderr'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-merge-stderr'= {
            cand --color 'Show stderr in COLOR, then restore the attributes stdout had set: a name (red, green, yellow, blue, magenta, cyan, white, black, bright-red, ...), a 256-colour palette index 0-255, or #RRGGBB [default when given without a value: red]'
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --compress 'Compress the output with gzip or zstd [default: by -o''s name: .gz, .zst; with -i, as the file was]'
            cand --drop 'Remove stderr instead: keep stdout only'
            cand --only 'Keep stderr only: drop stdout''s `o` events and turn `e` into `o` (input, resizes, markers and the exit status stay; --color still applies)'
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
