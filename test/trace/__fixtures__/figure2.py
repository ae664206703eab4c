def extract_values(string):
  str_list = string.replace('"','').split(",")
  return str_list
