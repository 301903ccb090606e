
use builtin;
use str;

set edit:completion:arg-completer[cast-serve] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cast-serve'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cast-serve'= {
            cand -l 'Address and port to listen on (port 0 picks a free one; the address is printed)'
            cand --listen 'Address and port to listen on (port 0 picks a free one; the address is printed)'
            cand --token 'Require this token on every request, as `Authorization: Bearer TOKEN` or `?token=TOKEN`'
            cand --base-url 'The server''s public URL, for absolute links in embed snippets and JSON [default: from the request''s Host]'
            cand --player-dir 'Serve the player from DIR (a local `npm install asciinema-player`) instead of loading it from the pinned CDN: pages then need no network'
            cand --live-timeout 'A recording without an exit event that has not grown for SECS is no longer live: its live streams end and its status turns from recording to truncated'
            cand --poll 'Look for new, changed and removed files every SECS even without file-system events'
            cand --max-connections 'Most connections open at once; more wait to be accepted'
            cand --client-timeout 'Close a connection whose request headers take longer than SECS, or whose client reads nothing of the answer for as long'
            cand --allow-delete 'Allow `DELETE /recordings/ID` to remove a recording''s file'
            cand -q 'Print no access log lines (warnings and errors are still printed)'
            cand --quiet 'Print no access log lines (warnings and errors are still printed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
