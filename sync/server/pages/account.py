"""Member pages: account (being written)."""
from fastapi import APIRouter

router = APIRouter()
