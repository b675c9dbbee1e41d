from openspc.cli import main

main()
