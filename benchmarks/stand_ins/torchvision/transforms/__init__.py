"""Import-only stand-in for torchvision.

suite2p imports torchvision through cellpose; its registration never calls it.
"""
