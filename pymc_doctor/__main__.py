from pymc_doctor.cli import main

main()
