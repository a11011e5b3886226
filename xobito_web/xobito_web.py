import reflex as rx


class State(rx.State):
    pass


def login() -> rx.Component:
    return rx.text("Login for ", State.subdomain)


app = rx.App()
app.add_page(login, route="/[subdomain]/login")
