output "deployment_id" {
  description = "Restate's id of the registered deployment"
  value       = module.orders_registration.deployment_id
}

output "services" {
  description = "Services Restate found in the deployment"
  value       = module.orders_registration.services
}
