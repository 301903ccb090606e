
use builtin;
use str;

set edit:completion:arg-completer[cast-to-html] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-to-html'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-to-html'= {
            cand -o 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --output 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)'
            cand --title 'Page title and heading [default: the recording''s title, else its file name]'
            cand -i 'Shorten every pause to at most SECS on playback [default: the header''s idle_time_limit]'
            cand --idle-time-limit 'Shorten every pause to at most SECS on playback [default: the header''s idle_time_limit]'
            cand -s 'Playback speed: 2 is twice as fast'
            cand --speed 'Playback speed: 2 is twice as fast'
            cand --start-at 'Start playback at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL'
            cand --loop 'Play again at the end, forever or N times'
            cand --theme 'Colour theme: asciinema, dracula, gruvbox-dark, monokai, nord, seti, solarized-dark, solarized-light, tango; auto/NAME uses the recording''s own theme when it has one'
            cand --poster 'Show the terminal as it is at T before playback starts (same forms as --start-at)'
            cand --fit 'Scale the terminal to the page''s width, height, both, or not at all [default: width]'
            cand --markers 'Add a marker at T, labelled LABEL, besides the recording''s own `m` events (repeatable; T on the recording''s timeline, in the forms of --start-at but no marker:LABEL)'
            cand --audio-url 'Play the audio at URL along with the recording (the player keeps them in step)'
            cand --controls 'Show the control bar while the mouse moves over the player, always, or never [default: auto]'
            cand --cursor-mode 'Draw the cursor blinking, steady, or not at all [default: blinking]'
            cand --terminal-font-family 'The terminal''s font: a CSS font-family list (the fonts must be installed or loaded by the page) [default: the player''s monospace stack]'
            cand --terminal-font-size 'The terminal''s font size: small, medium, big or a CSS size such as 15px; takes effect with --fit none, as in the player'
            cand --terminal-line-height 'The terminal''s line height, relative to the font size [default: 1.3333]'
            cand --cols 'Terminal width in columns [default: the recording''s]'
            cand --rows 'Terminal height in rows [default: the recording''s]'
            cand --player-dir 'Inline the player from DIR (a local `npm install asciinema-player`): the page then needs no network'
            cand --player-url 'Load the player from URL (a folder holding asciinema-player.min.js and .css) instead of the CDN'
            cand --url 'Play the recording at URL (fetched by the browser) instead of embedding a FILE; its stderr events are then not shown'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --autoplay 'Start playing when the page opens'
            cand --preload 'Load the recording when the page opens, not at the first play'
            cand --pause-on-markers 'Pause playback at every marker'
            cand --keystroke-overlay 'Show the keys typed during the recording (its `i` events) over the terminal'
            cand --bold-is-bright 'Show bold text in the bright colours (as many terminals do)'
            cand --adaptive-palette 'Derive the 256-colour palette from the theme''s 16 colours, so it suits the theme'
            cand --embed 'Print only a snippet to paste into a page: a div and a script tag that loads the player when the page has none'
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
