
use builtin;
use str;

set edit:completion:arg-completer[cast-speed] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-speed'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-speed'= {
            cand -f 'Speed factor: 2 is twice as fast, 0.5 half as fast (give this or --duration, not both)'
            cand --factor 'Speed factor: 2 is twice as fast, 0.5 half as fast (give this or --duration, not both)'
            cand --duration 'Make the recording (or the --from/--to range) last SECS (SECONDS, M:SS or H:MM:SS), instead of a --factor'
            cand --from 'Start of the range to change: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL [default: 0]'
            cand --to 'End of the range to change (exclusive), same forms as --from [default: the end]'
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --compress 'Compress the output with gzip or zstd [default: by -o''s name: .gz, .zst; with -i, as the file was]'
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
