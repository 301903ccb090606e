
use builtin;
use str;

set edit:completion:arg-completer[cast-import] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-import'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-import'= {
            cand -t 'script''s timing file (`script -T FILE`, `--log-timing FILE`)'
            cand --timing 'script''s timing file (`script -T FILE`, `--log-timing FILE`)'
            cand --log-in 'script''s input log, when it was written apart from the output (`--log-in FILE`) [default: the INPUT_LOG the timing file names, beside it]'
            cand --from 'The input''s format [default: detected from the content]'
            cand --cols 'Terminal width [default: from the recording, else 80]'
            cand --rows 'Terminal height [default: from the recording, else 24]'
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --compress 'Compress the output with gzip or zstd [default: by -o''s name: .gz, .zst; with -i, as the file was]'
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
