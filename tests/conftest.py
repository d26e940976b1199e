from dicomkit.testing._profiles import register_profiles

register_profiles()
