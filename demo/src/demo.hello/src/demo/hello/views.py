from Products.Five.browser import BrowserView


class Hello(BrowserView):
    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain; charset=utf-8")
        return "Hello from demo.hello. Edit views.py, save, and reload this page.\n"
