from modelexport.cli import main

main()
