from digest import run

run()
