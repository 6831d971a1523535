# A stack is imported by its name: hawebapp finds every part by its tags.
terraform import hawebapp_stack.example fruit-api
