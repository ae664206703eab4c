def separate_odd_and_even(lst):
    odd_list = []
    even_list = []
    for n in lst:
        if n % 2:
            even_list.append(n)
        else:
            odd_list.append(n)
    return odd_list, even_list
