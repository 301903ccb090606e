
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
            cand --fit 'Scale the terminal to the page''s width, height, both, or not at all'
            cand --player-dir 'Inline the player from DIR (a local `npm install asciinema-player`): the page then needs no network'
            cand --player-url 'Load the player from URL (a folder holding asciinema-player.min.js and .css) instead of the CDN'
            cand --url 'Play the recording at URL (fetched by the browser) instead of embedding a FILE; its stderr events are then not shown'
            cand --format 'Version to write [default: the input''s; v1 is written as v2]'
            cand --autoplay 'Start playing when the page opens'
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
