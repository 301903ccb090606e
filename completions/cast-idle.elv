
use builtin;
use str;

set edit:completion:arg-completer[cast-idle] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-idle'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-idle'= {
            cand -l 'Longest pause to keep, as SECONDS, M:SS or H:MM:SS [default: the header''s idle_time_limit]'
            cand --limit 'Longest pause to keep, as SECONDS, M:SS or H:MM:SS [default: the header''s idle_time_limit]'
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --compress 'Compress the output with gzip or zstd [default: by -o''s name: .gz, .zst; with -i, as the file was]'
            cand --header-only 'Only write the limit into the header''s idle_time_limit (players apply it); leave times alone'
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
