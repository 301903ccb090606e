
use builtin;
use str;

set edit:completion:arg-completer[cast-to-gif] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-to-gif'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-to-gif'= {
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --at 'Write one still picture: the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)'
            cand --from 'Start at time T of the recording (the screen is emulated up to it)'
            cand --to 'End before time T of the recording'
            cand --speed 'Playback speed: 2 is twice as fast'
            cand --idle-time-limit 'Longest pause kept, in seconds [default: the header''s idle_time_limit, else 5]'
            cand --fps-cap 'Most frames per second; output closer together is drawn in one frame'
            cand --last-frame-duration 'How long the last frame stays, in seconds'
            cand --font-family 'Fonts to draw with, comma-separated; the first one installed wins (monospace last)'
            cand --font-size 'Font size in pixels'
            cand --line-height 'Row height as a multiple of the font size'
            cand --theme 'Colours: asciinema, dracula, monokai, solarized-dark, solarized-light, nord, github-dark, github-light, header (the recording''s own), or BG,FG,C0,...,C7[,...,C15] in hex [default: the header''s theme, else asciinema]'
            cand --cols 'Emulate this many columns throughout (resizes then keep it)'
            cand --rows 'Emulate this many rows throughout (resizes then keep it)'
            cand --padding 'Margin around the screen, in pixels'
            cand --stderr-color 'Show stderr (`e` events) in COLOR, as cast-merge-stderr --color does [default when given without a value: red]; without it stderr is shown as it was written'
            cand --strict 'Treat a recording whose last line was cut off as an error, not a warning'
            cand -q 'Print no warnings (errors are still printed)'
            cand --quiet 'Print no warnings (errors are still printed)'
            cand --png 'Write a PNG of one screen (the one at --at, else the last one) instead of a GIF'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
