
use builtin;
use str;

set edit:completion:arg-completer[cast-to-txt] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-to-txt'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-to-txt'= {
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand -d 'Convert every recording into OUTDIR/NAME.txt, in parallel'
            cand --out-dir 'Convert every recording into OUTDIR/NAME.txt, in parallel'
            cand -g 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand --glob 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand -j 'Read N recordings at a time [default: one per CPU]'
            cand --threads 'Read N recordings at a time [default: one per CPU]'
            cand --alt-screen 'Full-screen programs (vim, less, htop): `snapshot` writes their last screen once per visit between marker lines; `skip` leaves them out'
            cand --at 'Only the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)'
            cand --stderr 'What to do with stderr (`e`) events: merge them in order, leave them out, or keep only them'
            cand -r 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --recursive 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --raw 'No terminal emulation: the output stream with escape sequences removed and CRLF turned into LF (fast, for logs)'
            cand --screen 'Only the final screen'
            cand --timestamps 'Prefix each line with the time it appeared, as [H:MM:SS.mmm]'
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
