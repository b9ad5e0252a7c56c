from setuptools import find_namespace_packages
from setuptools import setup


setup(
    name="demo.hello",
    version="1.0",
    description="A package to edit while collective.autorestart's demo runs.",
    package_dir={"": "src"},
    packages=find_namespace_packages("src", include=["demo.*"]),
    package_data={"demo.hello": ["*.zcml"]},
    install_requires=["Zope"],
)
