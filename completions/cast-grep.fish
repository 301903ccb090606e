complete -c cast-grep -s e -l regexp -d 'A pattern to search for; repeat for several' -r
complete -c cast-grep -s m -l max-count -d 'Stop reading an input after NUM selected lines' -r
complete -c cast-grep -s A -l after-context -d 'Print NUM lines of context after each selected line' -r
complete -c cast-grep -s B -l before-context -d 'Print NUM lines of context before each selected line' -r
complete -c cast-grep -s C -l context -d 'Print NUM lines of context before and after each selected line' -r
complete -c cast-grep -l color -d 'Colour matches, file names and times' -r -f -a "auto\t''
always\t''
never\t''"
complete -c cast-grep -s g -l glob -d 'With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]' -r
complete -c cast-grep -s j -l threads -d 'Read N recordings at a time [default: one per CPU]' -r
complete -c cast-grep -s F -l fixed-strings -d 'Patterns are fixed strings, not regular expressions'
complete -c cast-grep -s i -l ignore-case -d 'Ignore case'
complete -c cast-grep -s w -l word-regexp -d 'Match whole words only'
complete -c cast-grep -s x -l line-regexp -d 'Match whole lines only'
complete -c cast-grep -s v -l invert-match -d 'Select lines that do not match'
complete -c cast-grep -s c -l count -d 'Print only the number of selected lines of each input'
complete -c cast-grep -s l -l files-with-matches -d 'Print only the names of inputs with selected lines'
complete -c cast-grep -s L -l files-without-match -d 'Print only the names of inputs without selected lines'
complete -c cast-grep -s q -l quiet -l silent -d 'Print nothing; exit 0 at the first selected line'
complete -c cast-grep -s s -l no-messages -d 'Print no messages about bad inputs'
complete -c cast-grep -s o -l only-matching -d 'Print only the matched parts, each on its own line with its own time'
complete -c cast-grep -s n -l line-number -l event-number -d 'Print the number of the event that completed each line, after the file name'
complete -c cast-grep -s H -l with-filename -d 'Print the file name with each line (the default with several inputs)'
complete -c cast-grep -l no-filename -d 'Never print file names'
complete -c cast-grep -l input -d 'Search the typed input (i events) instead of the output'
complete -c cast-grep -l stderr -d 'Search only the stderr output (castkit\'s e events)'
complete -c cast-grep -l markers -d 'Search marker labels (m events)'
complete -c cast-grep -l json -d 'Print one JSON object per line, for scripts'
complete -c cast-grep -l cast -d 'Write the matching events as a recording'
complete -c cast-grep -s r -l recursive -d 'Search directories among the FILEs recursively (the current directory when there are none); hidden files and directories are skipped'
complete -c cast-grep -l line-buffered -d 'Flush after every line printed (the default when standard output is a terminal)'
complete -c cast-grep -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cast-grep -s V -l version -d 'Print version'
