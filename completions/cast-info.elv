
use builtin;
use str;

set edit:completion:arg-completer[cast-info] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-info'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-info'= {
            cand -g 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand --glob 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]'
            cand -j 'Read N recordings at a time [default: one per CPU]'
            cand --threads 'Read N recordings at a time [default: one per CPU]'
            cand --idle 'Pauses longer than SECS count as idle time (SECONDS, M:SS or H:MM:SS)'
            cand -r 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --recursive 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
            cand --json 'Write one JSON object per recording (JSON lines); an unreadable one gets {"file": ..., "error": ...}'
            cand --strict 'Treat a recording whose last line was cut off as an error, not a warning'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
