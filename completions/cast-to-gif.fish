complete -c cast-to-gif -s o -l output -d 'Write to FILE instead of standard output (a temporary file beside it, renamed on success)' -r -F
complete -c cast-to-gif -l at -d 'Write one still picture: the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)' -r
complete -c cast-to-gif -l from -d 'Start at time T of the recording (the screen is emulated up to it)' -r
complete -c cast-to-gif -l to -d 'End before time T of the recording' -r
complete -c cast-to-gif -l speed -d 'Playback speed: 2 is twice as fast' -r
complete -c cast-to-gif -l idle-time-limit -d 'Longest pause kept, in seconds [default: the header\'s idle_time_limit, else 5]' -r
complete -c cast-to-gif -l fps-cap -d 'Most frames per second; output closer together is drawn in one frame' -r
complete -c cast-to-gif -l last-frame-duration -d 'How long the last frame stays, in seconds' -r
complete -c cast-to-gif -l font-family -d 'Fonts to draw with, comma-separated; the first one installed wins (monospace last)' -r
complete -c cast-to-gif -l font-size -d 'Font size in pixels' -r
complete -c cast-to-gif -l line-height -d 'Row height as a multiple of the font size' -r
complete -c cast-to-gif -l theme -d 'Colours: asciinema, dracula, monokai, solarized-dark, solarized-light, nord, github-dark, github-light, header (the recording\'s own), or BG,FG,C0,...,C7[,...,C15] in hex [default: the header\'s theme, else asciinema]' -r
complete -c cast-to-gif -l cols -d 'Emulate this many columns throughout (resizes then keep it)' -r
complete -c cast-to-gif -l rows -d 'Emulate this many rows throughout (resizes then keep it)' -r
complete -c cast-to-gif -l padding -d 'Margin around the screen, in pixels' -r
complete -c cast-to-gif -l stderr-color -d 'Show stderr (`e` events) in COLOR, as cast-merge-stderr --color does [default when given without a value: red]; without it stderr is shown as it was written' -r
complete -c cast-to-gif -l strict -d 'Treat a recording whose last line was cut off as an error, not a warning'
complete -c cast-to-gif -s q -l quiet -d 'Print no warnings (errors are still printed)'
complete -c cast-to-gif -l png -d 'Write a PNG of one screen (the one at --at, else the last one) instead of a GIF'
complete -c cast-to-gif -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-to-gif -s V -l version -d 'Print version'
