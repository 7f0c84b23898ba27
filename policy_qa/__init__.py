"""The entry points: the `policy-qa` command and the served application (API with the UIs mounted). The only
package that sees every layer, so no layer has to import the one to its right."""
