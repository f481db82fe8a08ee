"""Generation of the plain Terraform (HCL) modules from the construct: inputs and their
``validation`` rules, props wired to module variables, HCL rendering (``generate``)."""
