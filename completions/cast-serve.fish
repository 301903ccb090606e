complete -c cast-serve -s l -l listen -d 'Address and port to listen on (port 0 picks a free one; the address is printed)' -r
complete -c cast-serve -l token -d 'Require this token on every request, as `Authorization: Bearer TOKEN` or `?token=TOKEN`' -r
complete -c cast-serve -l base-url -d 'The server\'s public URL, for absolute links in embed snippets and JSON [default: from the request\'s Host]' -r
complete -c cast-serve -l player-dir -d 'Serve the player from DIR (a local `npm install asciinema-player`) instead of loading it from the pinned CDN: pages then need no network' -r -F
complete -c cast-serve -l live-timeout -d 'A recording without an exit event that has not grown for SECS is no longer live: its live streams end and its status turns from recording to truncated' -r
complete -c cast-serve -l poll -d 'Look for new, changed and removed files every SECS even without file-system events' -r
complete -c cast-serve -l max-connections -d 'Most connections open at once; more wait to be accepted' -r
complete -c cast-serve -l client-timeout -d 'Close a connection whose request headers take longer than SECS, or whose client reads nothing of the answer for as long' -r
complete -c cast-serve -l allow-delete -d 'Allow `DELETE /recordings/ID` to remove a recording\'s file'
complete -c cast-serve -s q -l quiet -d 'Print no access log lines (warnings and errors are still printed)'
complete -c cast-serve -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-serve -s V -l version -d 'Print version'
