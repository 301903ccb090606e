complete -c cast-to-html -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-to-html -l title -d 'Page title and heading [default: the recording\'s title, else its file name]' -r
complete -c cast-to-html -s i -l idle-time-limit -d 'Shorten every pause to at most SECS on playback [default: the header\'s idle_time_limit]' -r
complete -c cast-to-html -s s -l speed -d 'Playback speed: 2 is twice as fast' -r
complete -c cast-to-html -l start-at -d 'Start playback at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL' -r
complete -c cast-to-html -l loop -d 'Play again at the end, forever or N times' -r
complete -c cast-to-html -l theme -d 'Colour theme: asciinema, dracula, gruvbox-dark, monokai, nord, seti, solarized-dark, solarized-light, tango; auto/NAME uses the recording\'s own theme when it has one' -r
complete -c cast-to-html -l poster -d 'Show the terminal as it is at T before playback starts (same forms as --start-at)' -r
complete -c cast-to-html -l fit -d 'Scale the terminal to the page\'s width, height, both, or not at all [default: width]' -r -f -a "width\t''
height\t''
both\t''
none\t''"
complete -c cast-to-html -l markers -d 'Add a marker at T, labelled LABEL, besides the recording\'s own `m` events (repeatable; T on the recording\'s timeline, in the forms of --start-at but no marker:LABEL)' -r
complete -c cast-to-html -l audio-url -d 'Play the audio at URL along with the recording (the player keeps them in step)' -r
complete -c cast-to-html -l controls -d 'Show the control bar while the mouse moves over the player, always, or never [default: auto]' -r -f -a "auto\t'While the mouse moves over the player (the player\'s default)'
always\t''
never\t''"
complete -c cast-to-html -l cursor-mode -d 'Draw the cursor blinking, steady, or not at all [default: blinking]' -r -f -a "blinking\t'The player\'s default'
steady\t''
hidden\t''"
complete -c cast-to-html -l terminal-font-family -d 'The terminal\'s font: a CSS font-family list (the fonts must be installed or loaded by the page) [default: the player\'s monospace stack]' -r
complete -c cast-to-html -l terminal-font-size -d 'The terminal\'s font size: small, medium, big or a CSS size such as 15px; takes effect with --fit none, as in the player' -r
complete -c cast-to-html -l terminal-line-height -d 'The terminal\'s line height, relative to the font size [default: 1.3333]' -r
complete -c cast-to-html -l cols -d 'Terminal width in columns [default: the recording\'s]' -r
complete -c cast-to-html -l rows -d 'Terminal height in rows [default: the recording\'s]' -r
complete -c cast-to-html -l player-dir -d 'Inline the player from DIR (a local `npm install asciinema-player`): the page then needs no network' -r -F
complete -c cast-to-html -l player-url -d 'Load the player from URL (a folder holding asciinema-player.min.js and .css) instead of the CDN' -r
complete -c cast-to-html -l url -d 'Play the recording at URL (fetched by the browser) instead of embedding a FILE; its stderr events are then not shown' -r
complete -c cast-to-html -l format -d 'Version to write [default: the input\'s; v1 is written as v2]' -r -f -a "v2\t''
v3\t''"
complete -c cast-to-html -l autoplay -d 'Start playing when the page opens'
complete -c cast-to-html -l preload -d 'Load the recording when the page opens, not at the first play'
complete -c cast-to-html -l pause-on-markers -d 'Pause playback at every marker'
complete -c cast-to-html -l keystroke-overlay -d 'Show the keys typed during the recording (its `i` events) over the terminal'
complete -c cast-to-html -l bold-is-bright -d 'Show bold text in the bright colours (as many terminals do)'
complete -c cast-to-html -l adaptive-palette -d 'Derive the 256-colour palette from the theme\'s 16 colours, so it suits the theme'
complete -c cast-to-html -l embed -d 'Print only a snippet to paste into a page: a div and a script tag that loads the player when the page has none'
complete -c cast-to-html -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-to-html -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-to-html -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-to-html -s V -l version -d 'Print version'
