
use builtin;
use str;

set edit:completion:arg-completer[cast-play] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-play'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-play'= {
            cand -s 'Playback speed: 2 is twice as fast'
            cand --speed 'Playback speed: 2 is twice as fast'
            cand -i 'Cut every pause to at most SECS [default: the header''s idle_time_limit]'
            cand --idle-time-limit 'Cut every pause to at most SECS [default: the header''s idle_time_limit]'
            cand --from 'Start at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL'
            cand --to 'Stop before T (same forms as --from)'
            cand -l 'Play again from the start when the end is reached, until q'
            cand --loop 'Play again from the start when the end is reached, until q'
            cand -m 'Pause at every marker (space resumes)'
            cand --pause-on-markers 'Pause at every marker (space resumes)'
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
