output "ingress_url" {
  description = "Restate ingress URL (HTTP, port 8080)"
  value       = module.restate.ingress_url
}

output "admin_url" {
  description = "Restate admin API URL (port 9070)"
  value       = module.restate.admin_url
}
